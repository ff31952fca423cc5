/**
 * One broken rule: where (a component argument path such as "cmk.keyUri") and why. Components
 * throw these as one pulumi.InputPropertiesError; the config adapter maps each path back to the
 * config key the user wrote.
 */
export interface Problem {
  propertyPath: string;
  reason: string;
}

/** Whole numbers in a range, with the message every range check uses. */
export function rangeProblem(
  propertyPath: string,
  value: number,
  range: { min: number; max: number },
): Problem[] {
  return Number.isInteger(value) && value >= range.min && value <= range.max
    ? []
    : [
        {
          propertyPath,
          reason: `must be a whole number between ${range.min} and ${range.max}, got ${value}`,
        },
      ];
}

// The alarms' windows and thresholds (domain/telemetry.ts): the missed-backup alarm's freshness
// window for every interval a stack can have, and when a scheduled check is overdue.
import { expect } from "chai";
import { CHECK_SCHEDULES, staleAfterDays } from "../../domain/modes";
import { checkOverdueSeconds, freshnessAlarm } from "../../domain/telemetry";

const HOUR = 3600;
const DAY = 86_400;

describe("alarm thresholds", () => {
  describe("freshnessAlarm (missed-backup)", () => {
    for (const hours of [1, 2, 3, 4, 6, 8, 12, 24])
      it(`every ${hours} h: ${hours + 1} hourly periods, all breaching, above ${hours + 1} h, within CloudWatch's 7 days`, () => {
        const f = freshnessAlarm(hours);
        expect(f).to.deep.equal({
          periodSeconds: HOUR,
          evaluationPeriods: hours + 1,
          thresholdSeconds: (hours + 1) * HOUR,
        });
        // PutMetricAlarm: Period x EvaluationPeriods at most 604,800 s for periods of an hour
        // or more (one day below an hour).
        expect(f.periodSeconds).to.be.at.least(HOUR);
        expect(f.periodSeconds * f.evaluationPeriods).to.be.at.most(7 * DAY);
        // The window holds a scheduled run, whatever the timer's delay (5 min) in its hour.
        expect(f.periodSeconds * f.evaluationPeriods).to.be.at.least(hours * HOUR + HOUR);
      });

    it("refuses an interval a stack cannot have", () => {
      for (const bad of [0, 25, 2.5, -1])
        expect(() => freshnessAlarm(bad), String(bad)).to.throw(
          `intervalHours must be a whole number between 1 and 24, got ${bad}`,
        );
    });
  });

  describe("checkOverdueSeconds", () => {
    it("is the schedule's longest period plus a day: daily 2 d, weekly 8 d, monthly 32 d", () => {
      expect(checkOverdueSeconds("daily")).to.equal(2 * DAY);
      expect(checkOverdueSeconds("weekly")).to.equal(8 * DAY);
      expect(checkOverdueSeconds("monthly")).to.equal(32 * DAY);
    });

    it("is undefined for a check that is off (nothing to be late against)", () => {
      expect(checkOverdueSeconds("off")).to.equal(undefined);
    });

    it("agrees with the status command's stale rule for every schedule", () => {
      for (const s of CHECK_SCHEDULES) {
        const days = staleAfterDays(s);
        expect(checkOverdueSeconds(s), s).to.equal(days === undefined ? undefined : days * DAY);
      }
    });
  });
});

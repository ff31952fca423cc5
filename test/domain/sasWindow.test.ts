// The SAS rotation window (domain/sasWindow.ts): the SAS the program signs and the day the
// scheduled workflow renews it follow one rule.
import { expect } from "chai";
import { sasRenewalDue, sasWindow } from "../../domain/sasWindow";

const DAY_MS = 86_400_000;

describe("SAS window", () => {
  it("starts at 00:00 UTC on a day whose number since 1970-01-01 divides by the window, and lasts two windows", () => {
    for (const days of [1, 7, 30, 45, 180])
      for (const iso of ["2026-01-01T12:00:00Z", "2026-07-15T00:29:00Z", "2027-03-03T23:59:59Z"]) {
        const w = sasWindow(new Date(iso), days);
        const start = Date.parse(w.start);
        expect(start % DAY_MS, `${days} ${iso}`).to.equal(0);
        expect((start / DAY_MS) % days, `${days} ${iso}`).to.equal(0);
        expect(start)
          .to.be.at.most(Date.parse(iso))
          .and.above(Date.parse(iso) - days * DAY_MS);
        expect(Date.parse(w.expiry) - start).to.equal(2 * days * DAY_MS);
        expect(w.start).to.match(/^\d{4}-\d\d-\d\dT00:00:00Z$/);
      }
  });

  it("is due for renewal on the window's first day only (the workflow's former day % days == 0)", () => {
    // Every day of two years, at the workflow's 00:30 UTC and at the day's last second.
    const first = Date.parse("2026-01-01T00:00:00Z");
    for (const days of [1, 7, 30, 45, 180])
      for (let day = first / DAY_MS; day < first / DAY_MS + 730; day++)
        for (const offset of [30 * 60_000, DAY_MS - 1000]) {
          const now = new Date(day * DAY_MS + offset);
          expect(sasRenewalDue(now, days), `${days} ${now.toISOString()}`).to.equal(
            day % days === 0,
          );
        }
  });
});

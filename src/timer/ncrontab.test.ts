import { describe, expect, it } from "vitest";
import { parseNcrontab, resolveScheduleSetting } from "./ncrontab.js";

/** The next occurrence after `after`, as an ISO string, for compact expectations. */
function nextAfter(expression: string, after: string): string {
  return parseNcrontab(expression).next(new Date(after)).toISOString();
}

/** Several consecutive occurrences after `after`. */
function occurrences(expression: string, after: string, count: number): string[] {
  const schedule = parseNcrontab(expression);
  const result: string[] = [];
  let cursor = new Date(after);
  for (let i = 0; i < count; i++) {
    cursor = schedule.next(cursor);
    result.push(cursor.toISOString());
  }
  return result;
}

describe("parseNcrontab", () => {
  it("runs every 30 minutes on the half hour", () => {
    expect(occurrences("0 */30 * * * *", "2026-03-10T08:05:00Z", 3)).toEqual([
      "2026-03-10T08:30:00.000Z",
      "2026-03-10T09:00:00.000Z",
      "2026-03-10T09:30:00.000Z",
    ]);
  });

  it("returns an instant strictly after the given one, even when that one matches", () => {
    expect(nextAfter("0 */30 * * * *", "2026-03-10T08:30:00.000Z")).toBe("2026-03-10T09:00:00.000Z");
  });

  it("rounds to whole seconds when the given instant has milliseconds", () => {
    expect(nextAfter("* * * * * *", "2026-03-10T08:30:00.250Z")).toBe("2026-03-10T08:30:01.000Z");
  });

  it("runs at 9:00 UTC on weekdays only, skipping the weekend", () => {
    // 2026-01-02 is a Friday.
    expect(occurrences("0 0 9 * * 1-5", "2026-01-02T08:00:00Z", 2)).toEqual([
      "2026-01-02T09:00:00.000Z",
      "2026-01-05T09:00:00.000Z",
    ]);
  });

  it("runs every ten seconds and carries over into the next minute", () => {
    expect(occurrences("*/10 * * * * *", "2026-03-10T12:00:35.500Z", 3)).toEqual([
      "2026-03-10T12:00:40.000Z",
      "2026-03-10T12:00:50.000Z",
      "2026-03-10T12:01:00.000Z",
    ]);
  });

  it("runs at the listed minutes of every hour", () => {
    expect(occurrences("0 5,35 * * * *", "2026-03-10T10:06:00Z", 3)).toEqual([
      "2026-03-10T10:35:00.000Z",
      "2026-03-10T11:05:00.000Z",
      "2026-03-10T11:35:00.000Z",
    ]);
  });

  it("rolls over the end of the day, month and year", () => {
    expect(nextAfter("0 0 0 * * *", "2026-12-31T23:59:59Z")).toBe("2027-01-01T00:00:00.000Z");
  });

  it("accepts month names in any case and in full", () => {
    expect(occurrences("0 0 12 1 jan,JULY *", "2026-02-01T00:00:00Z", 2)).toEqual([
      "2026-07-01T12:00:00.000Z",
      "2027-01-01T12:00:00.000Z",
    ]);
  });

  it("accepts weekday names and ranges of them", () => {
    // 2026-01-01 is a Thursday.
    expect(occurrences("0 0 8 * * Sat,Sun", "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-03T08:00:00.000Z",
      "2026-01-04T08:00:00.000Z",
    ]);
    expect(nextAfter("0 0 8 * * Mon-Fri", "2026-01-03T00:00:00Z")).toBe("2026-01-05T08:00:00.000Z");
  });

  it("treats day-of-week 7 as Sunday", () => {
    expect(nextAfter("0 0 0 * * 7", "2026-01-01T00:00:00Z")).toBe("2026-01-04T00:00:00.000Z");
    expect(nextAfter("0 0 0 * * 5-7", "2026-01-03T12:00:00Z")).toBe("2026-01-04T00:00:00.000Z");
  });

  it("steps through a range", () => {
    expect(occurrences("0 10-40/15 * * * *", "2026-03-10T10:00:00Z", 4)).toEqual([
      "2026-03-10T10:10:00.000Z",
      "2026-03-10T10:25:00.000Z",
      "2026-03-10T10:40:00.000Z",
      "2026-03-10T11:10:00.000Z",
    ]);
  });

  it("reads a stepped single value as running from that value to the end of the field, as NCrontab does", () => {
    expect(occurrences("30/15 * * * * *", "2026-03-10T10:00:00Z", 3)).toEqual([
      "2026-03-10T10:00:30.000Z",
      "2026-03-10T10:00:45.000Z",
      "2026-03-10T10:01:30.000Z",
    ]);
  });

  it("combines lists, ranges and steps in one field", () => {
    expect(occurrences("0 0 1,6-8,20-23/2 * * *", "2026-03-10T00:30:00Z", 6)).toEqual([
      "2026-03-10T01:00:00.000Z",
      "2026-03-10T06:00:00.000Z",
      "2026-03-10T07:00:00.000Z",
      "2026-03-10T08:00:00.000Z",
      "2026-03-10T20:00:00.000Z",
      "2026-03-10T22:00:00.000Z",
    ]);
  });

  it("requires both day-of-month and day-of-week to match when both are restricted, as NCrontab does", () => {
    // Friday the 13th; classic cron would instead fire on every Friday and every 13th (2026-01-02 first).
    expect(occurrences("0 0 0 13 * Fri", "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-02-13T00:00:00.000Z",
      "2026-03-13T00:00:00.000Z",
    ]);
  });

  it("uses the day-of-week alone when day-of-month is a wildcard", () => {
    expect(nextAfter("0 0 0 * * Fri", "2026-01-01T00:00:00Z")).toBe("2026-01-02T00:00:00.000Z");
  });

  it("skips months that are too short for the day", () => {
    expect(occurrences("0 0 0 31 * *", "2026-04-01T00:00:00Z", 2)).toEqual([
      "2026-05-31T00:00:00.000Z",
      "2026-07-31T00:00:00.000Z",
    ]);
  });

  it("finds the 29th of February only in leap years", () => {
    expect(nextAfter("0 0 0 29 2 *", "2026-01-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
  });

  it("gives up with an error on a date that never exists", () => {
    expect(() => parseNcrontab("0 0 0 30 2 *").next(new Date("2026-01-01T00:00:00Z"))).toThrow(
      /"0 0 0 30 2 \*" has no occurrence/,
    );
  });

  it("ignores surrounding and repeated whitespace", () => {
    expect(nextAfter("  0  */30 *\t* * *  ", "2026-03-10T08:05:00Z")).toBe("2026-03-10T08:30:00.000Z");
  });

  it.each([
    ["0 */30 * * *", /expected 6 fields .* got 5/],
    ["0 0 */30 * * * *", /expected 6 fields .* got 7/],
    ["", /expected 6 fields .* got 0/],
    ["60 * * * * *", /second field "60" is out of range/],
    ["0 60 * * * *", /minute field "60" is out of range/],
    ["0 0 24 * * *", /hour field "24" is out of range/],
    ["0 0 0 0 * *", /day field "0" is out of range/],
    ["0 0 0 32 * *", /day field "32" is out of range/],
    ["0 0 0 1 13 *", /month field "13" is out of range/],
    ["0 0 0 * * 8", /day-of-week field "8" is out of range/],
    ["*/0 * * * * *", /second field "\*\/0" has a bad step/],
    ["0 */x * * * *", /minute field "\*\/x" has a bad step/],
    ["0 1/2/3 * * * *", /minute field "1\/2\/3" has more than one "\/"/],
    ["0 0 5-1 * * *", /hour field "5-1" has a backwards range/],
    ["0 0 1-2-3 * * *", /hour field "1-2-3" has a bad range/],
    ["0 1,,2 * * * *", /minute field "1,,2" has an empty list item/],
    ["0 0 0 1 Foo *", /month field "Foo" has an unrecognised value/],
    ["0 0 0 * * Mo", /day-of-week field "Mo" has an unrecognised value/],
    ["0 0 Mon * * *", /hour field "Mon" has an unrecognised value/],
    ["0 -1 * * * *", /minute field "-1" has a bad range/],
  ])("rejects %j and names the bad field", (expression, message) => {
    expect(() => parseNcrontab(expression)).toThrow(message);
    expect(() => parseNcrontab(expression)).toThrow(`"${expression}"`);
  });
});

describe("resolveScheduleSetting", () => {
  it("replaces a %SETTING% schedule with the setting's value", () => {
    expect(resolveScheduleSetting("%CLEANUP_SCHEDULE%", { CLEANUP_SCHEDULE: " 0 */5 * * * * " })).toBe("0 */5 * * * *");
  });

  it("leaves an ordinary expression unchanged", () => {
    expect(resolveScheduleSetting("0 */30 * * * *", { CLEANUP_SCHEDULE: "x" })).toBe("0 */30 * * * *");
  });

  it("throws naming the setting when it is missing or empty", () => {
    expect(() => resolveScheduleSetting("%CLEANUP_SCHEDULE%", {})).toThrow(/"CLEANUP_SCHEDULE"/);
    expect(() => resolveScheduleSetting("%CLEANUP_SCHEDULE%", { CLEANUP_SCHEDULE: "" })).toThrow(/"CLEANUP_SCHEDULE"/);
  });

  it("feeds a resolved setting straight into the parser", () => {
    const expression = resolveScheduleSetting("%TIMER%", { TIMER: "0 0 9 * * 1-5" });
    expect(parseNcrontab(expression).next(new Date("2026-01-03T00:00:00Z")).toISOString()).toBe("2026-01-05T09:00:00.000Z");
  });
});

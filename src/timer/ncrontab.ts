/** A parsed six-field NCRONTAB schedule, evaluated in UTC. */
export interface NcrontabSchedule {
  /** The first matching whole-second instant strictly after `after`; throws if none within the search horizon. */
  next(after: Date): Date;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const WEEKDAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

const FIELDS: readonly FieldSpec[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES },
  // 7 is accepted as a second Sunday (classic cron); NCrontab itself only takes 0-6.
  { name: "day-of-week", min: 0, max: 7, names: WEEKDAY_NAMES },
];

/**
 * Far enough for any satisfiable schedule: with day-of-week ANDed to day-of-month, "Feb 29 on a Monday"
 * can be decades away (the weekday cycle of leap days is 28 years, longer across a skipped leap year).
 */
const SEARCH_YEARS = 50;

/** Parses `{second} {minute} {hour} {day} {month} {day-of-week}`; throws naming the bad field. */
export function parseNcrontab(expression: string): NcrontabSchedule {
  const parts = expression.trim().split(/\s+/).filter((part) => part !== "");
  if (parts.length !== FIELDS.length) {
    throw new Error(
      `Invalid NCRONTAB expression "${expression}": expected 6 fields ` +
        `({second} {minute} {hour} {day} {month} {day-of-week}), got ${parts.length}`,
    );
  }
  const sets = FIELDS.map((spec, index) => {
    try {
      return parseField(parts[index] ?? "", spec);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Invalid NCRONTAB expression "${expression}": ${spec.name} field "${parts[index]}" ${reason}`);
    }
  });
  const [seconds, minutes, hours, days, months, weekdays] = sets as [number[], number[], number[], number[], number[], number[]];
  // 7 and 0 both mean Sunday; matching uses getUTCDay(), which only yields 0.
  const weekdaySet = new Set(weekdays.map((day) => day % 7));
  const daySet = new Set(days);
  return {
    next: (after) =>
      nextOccurrence(expression, after, { seconds, minutes, hours, months }, (year, month, day) => {
        // NCrontab (what Azure Functions uses) requires BOTH day-of-month and day-of-week to match, unlike
        // classic cron's "either, when both are restricted": its TryGetNextOccurrence picks a day from the
        // day field, then rejects it unless the day-of-week field also contains it (atifaziz/NCrontab#107).
        const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
        return daySet.has(day) && weekdaySet.has(weekday);
      }),
  };
}

/** Replaces a whole-string `%NAME%` schedule with that app setting, as Azure Functions does. */
export function resolveScheduleSetting(schedule: string, env: Record<string, string | undefined>): string {
  const match = /^\s*%([^%]+)%\s*$/.exec(schedule);
  if (match === null) return schedule;
  const name = match[1] ?? "";
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new Error(`Timer schedule refers to app setting "${name}", which is not set`);
  }
  return value.trim();
}

interface TimeSets {
  seconds: number[];
  minutes: number[];
  hours: number[];
  months: number[];
}

function nextOccurrence(
  expression: string,
  after: Date,
  sets: TimeSets,
  dayMatches: (year: number, month: number, day: number) => boolean,
): Date {
  const start = new Date((Math.floor(after.getTime() / 1000) + 1) * 1000);
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth() + 1;
  let day = start.getUTCDate();
  let hour = start.getUTCHours();
  let minute = start.getUTCMinutes();
  let second = start.getUTCSeconds();
  const lastYear = year + SEARCH_YEARS;

  // Each step either accepts a field or jumps to the next candidate for it, zeroing the smaller fields.
  while (year <= lastYear) {
    const nextMonth = firstAtLeast(sets.months, month);
    if (nextMonth === undefined) {
      [year, month, day, hour, minute, second] = [year + 1, 1, 1, 0, 0, 0];
      continue;
    }
    if (nextMonth !== month) [month, day, hour, minute, second] = [nextMonth, 1, 0, 0, 0];
    if (day > daysInMonth(year, month)) {
      [month, day, hour, minute, second] = [month + 1, 1, 0, 0, 0];
      if (month > 12) [year, month] = [year + 1, 1];
      continue;
    }
    if (!dayMatches(year, month, day)) {
      [day, hour, minute, second] = [day + 1, 0, 0, 0];
      continue;
    }
    const nextHour = firstAtLeast(sets.hours, hour);
    if (nextHour === undefined) {
      [day, hour, minute, second] = [day + 1, 0, 0, 0];
      continue;
    }
    if (nextHour !== hour) [hour, minute, second] = [nextHour, 0, 0];
    const nextMinute = firstAtLeast(sets.minutes, minute);
    if (nextMinute === undefined) {
      [hour, minute, second] = [hour + 1, 0, 0];
      continue;
    }
    if (nextMinute !== minute) [minute, second] = [nextMinute, 0];
    const nextSecond = firstAtLeast(sets.seconds, second);
    if (nextSecond === undefined) {
      [minute, second] = [minute + 1, 0];
      continue;
    }
    return new Date(Date.UTC(year, month - 1, day, hour, minute, nextSecond));
  }
  throw new Error(`NCRONTAB expression "${expression}" has no occurrence within ${SEARCH_YEARS} years after ${after.toISOString()}`);
}

/** Smallest value >= `from` in an ascending list (hour 24 or minute 60 simply finds nothing). */
function firstAtLeast(sorted: number[], from: number): number | undefined {
  return sorted.find((value) => value >= from);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The allowed values of one field, ascending and without duplicates. */
function parseField(text: string, spec: FieldSpec): number[] {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    for (const value of parseItem(item, spec)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseItem(item: string, spec: FieldSpec): number[] {
  if (item === "") throw new Error("has an empty list item");
  const slash = item.split("/");
  if (slash.length > 2) throw new Error(`has more than one "/" in "${item}"`);
  const [rangeText = "", stepText] = slash;
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new Error(`has a bad step "${stepText}" (must be a positive number)`);
    step = Number(stepText);
  }
  let first: number;
  let last: number;
  if (rangeText === "*") {
    // Sunday once, not twice: the wildcard for day-of-week stops at 6.
    [first, last] = [spec.min, spec.name === "day-of-week" ? 6 : spec.max];
  } else if (rangeText.includes("-")) {
    const bounds = rangeText.split("-");
    if (bounds.length !== 2 || bounds.includes("")) throw new Error(`has a bad range "${rangeText}"`);
    first = parseValue(bounds[0] ?? "", spec);
    last = parseValue(bounds[1] ?? "", spec);
    if (first > last) throw new Error(`has a backwards range "${rangeText}"`);
  } else {
    first = parseValue(rangeText, spec);
    // NCrontab reads "a/n" as "from a to the field's maximum, every n".
    last = stepText === undefined ? first : spec.max;
  }
  const values: number[] = [];
  for (let value = first; value <= last; value += step) values.push(value);
  return values;
}

function parseValue(text: string, spec: FieldSpec): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < spec.min || value > spec.max) throw new Error(`is out of range: ${value} is not within ${spec.min}-${spec.max}`);
    return value;
  }
  const lower = text.toLowerCase();
  // Names may be written in full or as the usual three-letter abbreviation, in any case.
  const index = spec.names?.findIndex((name) => lower.length >= 3 && name.startsWith(lower)) ?? -1;
  if (index < 0) throw new Error(`has an unrecognised value "${text}"`);
  return index + spec.min;
}

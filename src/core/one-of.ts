/** Whether `value` is one of a readonly tuple of literals, narrowing it (instead of a cast). */
export function isOneOf<const T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

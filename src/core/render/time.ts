/**
 * One way to show an instant to people: `2026-12-01 00:00 America/New_York`, in the zone the environment's
 * rules are written in (UTC when it names none). Minutes are the finest grain any schedule here uses.
 */
export function formatTime(at: Date | string, timeZone = 'UTC'): string {
  const date = typeof at === 'string' ? new Date(at) : at
  if (Number.isNaN(date.getTime())) return String(at)
  let parts: Intl.DateTimeFormatPart[]
  try {
    parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(date)
  } catch {
    return formatTime(date, 'UTC')
  }
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${timeZone}`
}

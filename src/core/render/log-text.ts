import type { HistoryEntry } from '../model/ledger-history.js'
import { PLAIN, type Style, stateColour } from './style.js'
import { formatTime } from './time.js'
import { plural, totalsLine } from './totals.js'

export interface LogView {
  package: string
  versions: { tag: string; commit: string; notes: string | null; environments: Record<string, string>; released: string | null }[]
  history: Record<string, HistoryEntry[]>
}

/** How each source of an author reads (see AuthorSource). */
const SOURCE: Record<HistoryEntry['source'], string> = {
  github: 'as GitHub recorded it',
  cli: 'gantry apply, user name not verified',
  git: 'git author, not verified',
}

/**
 * `gantry log` as text: the versions, newest first, with release date, commit, where each is applied and the
 * notes; then per environment its applies, rollbacks and removals, newest first, with when, by whom (and where
 * that name comes from) and who approved. Times in the environment's time zone (`zones`, default UTC).
 */
export function renderLogText(log: LogView, style: Style = PLAIN, zones: Record<string, string> = {}): string {
  const lines: string[] = []
  for (const v of log.versions) {
    const envs = Object.keys(v.environments)
    const released = v.released ? `  ${formatTime(v.released)}` : ''
    const where = envs.length ? `  ${style.green('APPLIED')} in ${envs.join(', ')}` : ''
    lines.push(`${style.bold(v.tag)}${released}  ${style.dim(v.commit.slice(0, 12))}${where}`)
    if (v.notes) lines.push(...v.notes.split('\n').map((l) => `    ${l}`))
  }
  if (log.versions.length === 0) lines.push(`${log.package} has no released version`)
  const counts = { apply: 0, rollback: 0, remove: 0, edit: 0 }
  let environments = 0
  for (const [env, entries] of Object.entries(log.history)) {
    if (entries.length === 0) continue
    environments++
    lines.push('', style.bold(`history in ${env}`))
    for (const e of entries) {
      counts[e.action]++
      const action = e.action.padEnd(8)
      const coloured = e.action === 'apply' ? stateColour(style, 'APPLIED')(action) : e.action === 'rollback' ? stateColour(style, 'rollback')(action) : style.red(action)
      const version = e.version === null ? '' : `${log.package}@${e.version}${e.previousVersion && e.previousVersion !== e.version ? ` (from ${e.previousVersion})` : ''}`
      const by = e.by === null ? 'by unknown' : e.by === 'gantry' && e.source === 'github' ? 'merged by Gantry' : `by ${e.by}`
      const approved = e.approvers.length ? `, approved by ${e.approvers.map((a) => a.login).join(', ')}` : ''
      const promotion = e.promotion !== null ? `  #${e.promotion}` : ''
      lines.push(`  ${formatTime(e.at, zones[env])}  ${coloured}  ${version}  ${by}${approved} ${style.dim(`(${SOURCE[e.source]})`)}${promotion}  ${style.dim(e.commit.slice(0, 12))}`)
    }
  }
  const counted = [plural(log.versions.length, 'version'), plural(counts.apply, 'apply', 'applies'), plural(counts.rollback, 'rollback')]
  if (counts.remove) counted.push(plural(counts.remove, 'removal'))
  if (counts.edit) counted.push(plural(counts.edit, 'hand edit'))
  lines.push(totalsLine('log', [...counted.slice(0, 1), `${counted.slice(1).join(', ')} in ${plural(environments, 'environment')}`], null, style))
  return lines.join('\n')
}

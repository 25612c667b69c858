/**
 * Text shown in a GitHub Actions log must not issue workflow commands. The runner reads two forms
 * ("Workflow commands for GitHub Actions"; actions/runner ActionCommandManager tries one, then the other):
 *   - a line that starts with `::` (leading spaces aside): `::error::`, `::add-mask::`, `::stop-commands::<token>`,
 *     which turns off every later command of the step;
 *   - the older form `##[command]data`, found ANYWHERE in a line, for every registered command (`add-mask`,
 *     `error`, `stop-commands`, ...).
 * Names, paths, notes and messages come from the repository and from GitHub, so neither form may appear.
 */

/**
 * One line, with its first colon escaped as `\u003a` when it would begin with `::`, and every `##[` written
 * `##\u005b`; any other line as it is.
 */
export function commandFreeLine(line: string): string {
  const v2Free = /^\s*::/.test(line) ? line.replace(':', '\\u003a') : line
  return v2Free.includes('##[') ? v2Free.replaceAll('##[', '##\\u005b') : v2Free
}

/** Multi-line text with every line made safe as `commandFreeLine` does; line breaks are kept. */
export function commandFreeText(text: string): string {
  return text.includes('::') || text.includes('##[') ? text.split('\n').map(commandFreeLine).join('\n') : text
}

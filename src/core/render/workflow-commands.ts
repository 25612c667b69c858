/**
 * Text shown in a GitHub Actions log must not issue workflow commands. The runner reads a line of a step's output
 * that starts with `::` (leading spaces aside) as a command ("Workflow commands for GitHub Actions": `::error::`,
 * `::add-mask::`, `::stop-commands::<token>`, which turns off every later command of the step). Names, paths,
 * notes and messages come from the repository and from GitHub, so none may start such a line.
 */

/** One line, with its first colon escaped as `\u003a` when it would begin with `::`; any other line as it is. */
export function commandFreeLine(line: string): string {
  return /^\s*::/.test(line) ? line.replace(':', '\\u003a') : line
}

/** Multi-line text with every line made safe as `commandFreeLine` does; line breaks are kept. */
export function commandFreeText(text: string): string {
  return text.includes('::') ? text.split('\n').map(commandFreeLine).join('\n') : text
}

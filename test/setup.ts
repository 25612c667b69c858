// Tests create commits in temporary repositories: give git an identity that does not depend on the machine.
for (const [key, value] of Object.entries({
  GIT_AUTHOR_NAME: 'Gantry Test',
  GIT_AUTHOR_EMAIL: 'test@gantry.invalid',
  GIT_COMMITTER_NAME: 'Gantry Test',
  GIT_COMMITTER_EMAIL: 'test@gantry.invalid',
  GIT_TERMINAL_PROMPT: '0',
})) {
  process.env[key] ??= value
}

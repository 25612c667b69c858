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

// Every file a test reads as YAML is read both ways when the fast read accepts it, and the test fails if the
// two disagree. GANTRY_TEST_YAML=positional runs the tests on the positional read alone, =fast on the
// default path alone.
import { type YamlReader, setYamlReader } from '../src/core/yaml/read-yaml.js'
setYamlReader((process.env.GANTRY_TEST_YAML as YamlReader | undefined) ?? 'cross-check')

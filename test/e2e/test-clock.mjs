// The one thing tests cannot make real is the time of a release window: this preload sets the time Gantry's own
// code reads with `new Date()` to GANTRY_TEST_CLOCK. The action honours GANTRY_NOW only in dry run, so tests of
// scheduled releases set the clock of the process instead. Libraries keep the real time (Date.now(), and
// `new Date()` called from node_modules): they time retries and rate limits against the real server.
const at = process.env.GANTRY_TEST_CLOCK
if (at) {
  const RealDate = Date
  const fixed = RealDate.parse(at)
  if (Number.isNaN(fixed)) throw new Error(`GANTRY_TEST_CLOCK=${at} is not a date`)
  const fromLibrary = () => /node_modules|node:/.test(new Error().stack?.split('\n')[3] ?? '')
  class TestDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(fromLibrary() ? RealDate.now() : fixed)
      else super(...args)
    }
  }
  globalThis.Date = TestDate
}

// The one thing tests cannot make real is the time of a release window: this preload sets the time the action's
// process reads with `new Date()` to GANTRY_TEST_CLOCK. The action honours GANTRY_NOW only in dry run, so tests
// of scheduled releases set the clock of the process instead. Date.now() stays real: libraries time with it.
const at = process.env.GANTRY_TEST_CLOCK
if (at) {
  const RealDate = Date
  const fixed = RealDate.parse(at)
  if (Number.isNaN(fixed)) throw new Error(`GANTRY_TEST_CLOCK=${at} is not a date`)
  class TestDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(fixed)
      else super(...args)
    }
  }
  globalThis.Date = TestDate
}

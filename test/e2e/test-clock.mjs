// The one thing tests cannot make real is the time of a release window: this preload moves the clock of the
// action's process to GANTRY_TEST_CLOCK (and lets it run on from there). The action honours GANTRY_NOW only in
// dry run, so tests of scheduled releases set the clock of the process instead.
const start = process.env.GANTRY_TEST_CLOCK
if (start) {
  const RealDate = Date
  const offset = RealDate.parse(start) - RealDate.now()
  if (Number.isNaN(offset)) throw new Error(`GANTRY_TEST_CLOCK=${start} is not a date`)
  class TestDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset)
      else super(...args)
    }
    static now() {
      return RealDate.now() + offset
    }
  }
  globalThis.Date = TestDate
}

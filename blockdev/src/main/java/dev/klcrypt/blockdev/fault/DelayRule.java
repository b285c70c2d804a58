package dev.klcrypt.blockdev.fault;

import java.time.Duration;

/**
 * dm-delay: matching operations wait {@code delay} (real time, the thread sleeps) before they run.
 * After {@code times} delayed operations the rule is spent (0 = never).
 */
public record DelayRule(BlockOp op, SectorRange range, Duration delay, long times)
    implements FaultSpec {

  /** Upper bound on one injected delay. */
  public static final Duration MAX_DELAY = Duration.ofMinutes(10);

  public DelayRule {
    if (delay.toMillis() < 1 || delay.compareTo(MAX_DELAY) > 0) {
      throw new IllegalArgumentException("delay " + delay + " is outside 1ms.." + MAX_DELAY);
    }
    SpecText.checkTimes(times);
    SpecText.checkRangeForOp(op, range);
  }

  /** Whether this rule applies to an operation. */
  public boolean applies(BlockOp actual, long offset, long length) {
    return SpecText.applies(op, range, actual, offset, length);
  }

  @Override
  public String text() {
    return "delay "
        + op.token()
        + " "
        + Durations.text(delay)
        + SpecText.range(range)
        + SpecText.times(times);
  }
}

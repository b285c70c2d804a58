package dev.klcrypt.blockdev.fault;

import java.time.Duration;

/**
 * dm-flakey: the store alternates between {@code up} (normal) and {@code down}, starting with an up
 * interval when the rule takes effect. While down it either fails every operation with {@code
 * errno} ({@link DownBehaviour#ERROR}) or silently drops writes and discards while reads still work
 * ({@link DownBehaviour#DROP_WRITES}).
 */
public record FlakeyRule(Duration up, Duration down, DownBehaviour whenDown, FaultErrno errno)
    implements FaultSpec {

  /** What a down interval does. */
  public enum DownBehaviour {
    ERROR,
    DROP_WRITES
  }

  public FlakeyRule {
    if (up.toMillis() < 1 || down.toMillis() < 1) {
      throw new IllegalArgumentException(
          "flakey up (" + up + ") and down (" + down + ") must be at least 1ms");
    }
  }

  /** Whether the store is down {@code sinceStartNanos} after the rule took effect. */
  public boolean isDown(long sinceStartNanos) {
    long upNs = up.toNanos();
    long period = upNs + down.toNanos();
    return Math.floorMod(sinceStartNanos, period) >= upNs;
  }

  @Override
  public String text() {
    return "flakey up="
        + Durations.text(up)
        + " down="
        + Durations.text(down)
        + (whenDown == DownBehaviour.ERROR
            ? " mode=error errno=" + errno.name()
            : " mode=drop-writes");
  }
}

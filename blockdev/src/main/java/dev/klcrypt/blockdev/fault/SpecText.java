package dev.klcrypt.blockdev.fault;

import java.math.BigDecimal;
import java.util.OptionalLong;

/**
 * Shared pieces of the canonical scenario-file spelling, so that every spec prints what the parser
 * reads.
 */
final class SpecText {
  private SpecText() {}

  static String range(SectorRange range) {
    return range.isAll() ? "" : " sectors " + range.text();
  }

  static String rate(double rate) {
    return rate == 1.0 ? "" : " rate=" + BigDecimal.valueOf(rate).stripTrailingZeros().toString();
  }

  static String seed(OptionalLong seed) {
    return seed.isPresent() ? " seed=" + seed.getAsLong() : "";
  }

  static String times(long times) {
    return times == 0 ? "" : " times=" + times;
  }

  static void checkRate(double rate) {
    if (!(rate >= 0.0 && rate <= 1.0)) {
      throw new IllegalArgumentException("rate " + rate + " is outside 0..1");
    }
  }

  static void checkTimes(long times) {
    if (times < 0) {
      throw new IllegalArgumentException("times " + times + " is negative (0 means unlimited)");
    }
  }

  static void checkRangeForOp(BlockOp op, SectorRange range) {
    if (op == BlockOp.FLUSH && !range.isAll()) {
      throw new IllegalArgumentException(
          "a flush has no sectors, so a flush rule takes no sector range");
    }
  }

  /**
   * Whether a rule on {@code op} and {@code range} applies to an actual operation on {@code
   * [offset, +length)}.
   */
  static boolean applies(BlockOp op, SectorRange range, BlockOp actual, long offset, long length) {
    if (!op.matches(actual)) {
      return false;
    }
    if (range.isAll()) {
      return true;
    }
    return actual != BlockOp.FLUSH && range.overlaps(offset, length);
  }
}

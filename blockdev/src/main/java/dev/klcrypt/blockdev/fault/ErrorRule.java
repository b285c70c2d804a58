package dev.klcrypt.blockdev.fault;

import java.util.OptionalLong;

/**
 * Fails matching operations with {@code errno} (dm-dust, dm-error, nbdkit's error filter). An
 * operation matches when its kind matches {@code op} and its bytes overlap {@code range}; each
 * match fails with probability {@code rate} drawn from a generator seeded with {@code seed} (or the
 * scenario's seed); after {@code times} injections the rule is spent (0 = never).
 */
public record ErrorRule(
    BlockOp op, SectorRange range, FaultErrno errno, double rate, OptionalLong seed, long times)
    implements FaultSpec {

  public ErrorRule {
    SpecText.checkRate(rate);
    SpecText.checkTimes(times);
    SpecText.checkRangeForOp(op, range);
  }

  /** Every matching operation fails with {@code errno}. */
  public static ErrorRule always(BlockOp op, SectorRange range, FaultErrno errno) {
    return new ErrorRule(op, range, errno, 1.0, OptionalLong.empty(), 0);
  }

  /** Whether this rule applies to an operation (before the rate is drawn). */
  public boolean applies(BlockOp actual, long offset, long length) {
    return SpecText.applies(op, range, actual, offset, length);
  }

  @Override
  public String text() {
    return "error "
        + op.token()
        + SpecText.range(range)
        + " errno="
        + errno.name()
        + SpecText.rate(rate)
        + SpecText.seed(seed)
        + SpecText.times(times);
  }
}

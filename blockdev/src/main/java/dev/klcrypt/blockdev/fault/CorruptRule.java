package dev.klcrypt.blockdev.fault;

import java.util.OptionalLong;

/**
 * Changes {@code bytes} bytes of ciphertext per hit inside {@code range}. With {@code op} {@code
 * WRITE} the corrupted bytes are what reaches the store (persistent, like a misdirected or torn
 * write: every later read sees them); with {@code READ} the store keeps good data and only the
 * bytes handed to the reader are changed (transient, like a bad cable). Each changed byte is XORed
 * with a non-zero value, so it really differs. Positions and values come from a generator seeded
 * with {@code seed} (or the scenario's seed); {@code rate} is the chance that a matching operation
 * is hit; after {@code times} hits the rule is spent (0 = never).
 */
public record CorruptRule(
    BlockOp op, SectorRange range, int bytes, double rate, OptionalLong seed, long times)
    implements FaultSpec {

  /** Upper bound on bytes changed per hit. */
  public static final int MAX_BYTES = 4096;

  public CorruptRule {
    if (op != BlockOp.READ && op != BlockOp.WRITE) {
      throw new IllegalArgumentException("corrupt applies to read or write, not " + op.token());
    }
    if (bytes < 1 || bytes > MAX_BYTES) {
      throw new IllegalArgumentException("bytes " + bytes + " is outside 1.." + MAX_BYTES);
    }
    SpecText.checkRate(rate);
    SpecText.checkTimes(times);
  }

  /** Whether this rule applies to an operation (before the rate is drawn). */
  public boolean applies(BlockOp actual, long offset, long length) {
    return SpecText.applies(op, range, actual, offset, length);
  }

  @Override
  public String text() {
    return "corrupt "
        + op.token()
        + SpecText.range(range)
        + " bytes="
        + bytes
        + SpecText.rate(rate)
        + SpecText.seed(seed)
        + SpecText.times(times);
  }
}

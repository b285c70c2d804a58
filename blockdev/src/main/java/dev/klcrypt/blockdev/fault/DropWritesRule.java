package dev.klcrypt.blockdev.fault;

/**
 * Acknowledges matching writes, discards or flushes without doing them (a lying disk). {@code op}
 * is {@code WRITE}, {@code DISCARD}, {@code FLUSH} or {@code ANY} (all three; reads are never
 * dropped). A dropped flush leaves earlier writes unflushed, so a later power cut loses them.
 */
public record DropWritesRule(BlockOp op, SectorRange range, long times) implements FaultSpec {

  public DropWritesRule {
    if (op == BlockOp.READ) {
      throw new IllegalArgumentException("reads cannot be dropped (use error or corrupt)");
    }
    SpecText.checkTimes(times);
    SpecText.checkRangeForOp(op, range);
  }

  /** Whether this rule applies to an operation; reads never match. */
  public boolean applies(BlockOp actual, long offset, long length) {
    return actual != BlockOp.READ && SpecText.applies(op, range, actual, offset, length);
  }

  @Override
  public String text() {
    return "drop " + op.token() + SpecText.range(range) + SpecText.times(times);
  }
}

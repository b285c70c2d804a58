package dev.klcrypt.blockdev.fault;

import java.util.Locale;

/** The backing-store operations a fault can match; {@link #ANY} matches all four. */
public enum BlockOp {
  READ,
  WRITE,
  FLUSH,
  DISCARD,
  ANY;

  /**
   * Whether a rule or trigger naming this operation applies to {@code actual} (never {@code ANY}
   * itself).
   */
  public boolean matches(BlockOp actual) {
    return this == ANY || this == actual;
  }

  /**
   * The scenario-file spelling: {@code read}, {@code write}, {@code flush}, {@code discard}, {@code
   * any}.
   */
  public String token() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The plural used after a count ({@code after 100 writes}); {@code any} counts {@code ops}. */
  public String pluralToken() {
    return switch (this) {
      case READ -> "reads";
      case WRITE -> "writes";
      case FLUSH -> "flushes";
      case DISCARD -> "discards";
      case ANY -> "ops";
    };
  }
}

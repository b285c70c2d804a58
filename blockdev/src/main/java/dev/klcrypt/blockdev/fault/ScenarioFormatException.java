package dev.klcrypt.blockdev.fault;

/**
 * A scenario file or {@code klcrypt fault add} step was refused. {@link #line()} is 1-based; {@link
 * #column()} is the 1-based character column of the offending token, or 0 when the whole line (or
 * file) is at fault.
 */
public final class ScenarioFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int line;
  private final int column;
  private final String reason;

  public ScenarioFormatException(int line, int column, String reason) {
    super("line " + line + (column > 0 ? ", column " + column : "") + ": " + reason);
    this.line = line;
    this.column = column;
    this.reason = reason;
  }

  /** 1-based line number. */
  public int line() {
    return line;
  }

  /** 1-based column of the offending token, 0 if none. */
  public int column() {
    return column;
  }

  /** Why the line was refused, without the position. */
  public String reason() {
    return reason;
  }
}

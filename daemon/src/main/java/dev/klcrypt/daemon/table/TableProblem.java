package dev.klcrypt.daemon.table;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A refused line of the volume table. The other lines are still served.
 *
 * @param file the table file
 * @param line the 1-based line number
 * @param reason what is wrong, naming the field or option; never contains key material (the table
 *     holds only paths)
 */
public record TableProblem(Path file, int line, String reason) {
  public TableProblem {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(reason, "reason");
  }

  /** {@code FILE:LINE: reason}, the form compilers use, so editors can jump to the line. */
  public String message() {
    return file + ":" + line + ": " + reason;
  }

  @Override
  public String toString() {
    return message();
  }
}

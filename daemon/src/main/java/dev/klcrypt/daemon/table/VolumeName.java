package dev.klcrypt.daemon.table;

import java.util.Optional;

/**
 * The rules for volume names. A name becomes a file name under the FUSE mount, a metrics label and
 * a word in log lines, so it is kept to a portable, shell-safe set: letters, digits and {@code . _
 * + - : @}, 1 to 127 characters (the device-mapper limit), not {@code .} or {@code ..}, not
 * starting with {@code -} (it would read as an option).
 */
public final class VolumeName {
  /**
   * The longest accepted name, in characters (all accepted characters are ASCII, so also in bytes).
   */
  public static final int MAX_LENGTH = 127;

  private VolumeName() {}

  /** Why {@code name} is not a valid volume name, or empty when it is. */
  public static Optional<String> whyInvalid(String name) {
    if (name.isEmpty()) {
      return Optional.of("volume name is empty");
    }
    if (name.length() > MAX_LENGTH) {
      return Optional.of(
          "volume name is " + name.length() + " characters long, the limit is " + MAX_LENGTH);
    }
    if (name.equals(".") || name.equals("..")) {
      return Optional.of("volume name '" + name + "' is reserved");
    }
    if (name.startsWith("-")) {
      return Optional.of("volume name '" + name + "' starts with '-'");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '+'
              || c == '-'
              || c == ':'
              || c == '@';
      if (!ok) {
        return Optional.of(
            "volume name contains "
                + describe(c)
                + " at position "
                + (i + 1)
                + " (allowed: letters, digits and . _ + - : @)");
      }
    }
    return Optional.empty();
  }

  private static String describe(char c) {
    if (c == '/') {
      return "'/'";
    }
    if (c < 0x20 || c == 0x7f || Character.isWhitespace(c)) {
      return String.format("character U+%04X", (int) c);
    }
    return "'" + c + "'";
  }
}

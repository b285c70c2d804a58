package dev.klcrypt.daemon.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The daemon config file cannot be used. The message reads {@code FILE:LINE: reason} (or {@code
 * FILE: reason} when no line is to blame) and names the key; config files hold no secrets, so
 * values may be quoted.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;
  private final String key;
  private final String reason;

  /**
   * @param file the config file
   * @param line the 1-based line, or 0 when the problem is not on one line
   * @param key the key concerned, or null
   * @param reason what is wrong
   */
  public ConfigException(Path file, int line, String key, String reason) {
    super(format(file, line, key, reason));
    this.file = file;
    this.line = line;
    this.key = key;
    this.reason = reason;
  }

  /** Same, with the I/O error that caused it. */
  public ConfigException(Path file, String reason, Throwable cause) {
    super(format(file, 0, null, reason), cause);
    this.file = file;
    this.line = 0;
    this.key = null;
    this.reason = reason;
  }

  private static String format(Path file, int line, String key, String reason) {
    return file + (line > 0 ? ":" + line : "") + ": " + (key != null ? key + ": " : "") + reason;
  }

  public Path file() {
    return file;
  }

  /** The 1-based line, or 0. */
  public int line() {
    return line;
  }

  public Optional<String> key() {
    return Optional.ofNullable(key);
  }

  public String reason() {
    return reason;
  }
}

package dev.klcrypt.daemon.table;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many lines of each running daemon's volume table were refused at its last (re)load, keyed by
 * the daemon's runtime directory (unique per running daemon: it holds the control socket). The
 * table extension publishes here; the metrics extension reads it at scrape time as {@code
 * klcrypt_table_problems}. Extensions are loaded independently, so this is their meeting point.
 */
public final class TableHealth {
  private static final Map<Path, Integer> PROBLEMS = new ConcurrentHashMap<>();

  private TableHealth() {}

  /** The refused lines of the table of the daemon on {@code runtimeDir}; 0 when it has none. */
  public static int problems(Path runtimeDir) {
    return PROBLEMS.getOrDefault(key(runtimeDir), 0);
  }

  static void loaded(Path runtimeDir, int problems) {
    PROBLEMS.put(key(runtimeDir), problems);
  }

  static void forget(Path runtimeDir) {
    PROBLEMS.remove(key(runtimeDir));
  }

  private static Path key(Path runtimeDir) {
    return runtimeDir.toAbsolutePath().normalize();
  }
}

package dev.klcrypt.daemon.config;

import dev.klcrypt.daemon.table.TableProblem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The audit trail: one line on the {@code klcrypt.audit} logger for every event an operator must be
 * able to account for (open, close, suspend, resume, restore failure, fault injection, refused
 * control peer, table reload). Lines read {@code event=open volume=data image=/srv/data.img
 * mode=rw}; the same pairs are attached as SLF4J key-values, so the JSON encoder emits them as
 * fields.
 *
 * <p>Every method takes names, paths, counts and reasons only: there is no way to hand it a key, a
 * passphrase or a handle (a test checks the parameter types). Reasons are the messages of klcrypt's
 * typed exceptions, which never carry secret bytes.
 */
public final class AuditLog {
  /**
   * The audit logger's name; outside {@code dev.klcrypt} so {@code log.level} does not silence it.
   */
  public static final String LOGGER_NAME = "klcrypt.audit";

  private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER_NAME);

  private AuditLog() {}

  /** A volume was opened and is served at the mount. */
  public static void opened(String volume, Path image, boolean readOnly) {
    log(
        "event",
        "open",
        "volume",
        volume,
        "image",
        image.toString(),
        "mode",
        readOnly ? "ro" : "rw");
  }

  /** Opening a volume failed. */
  public static void openFailed(String volume, Path image, String reason) {
    warn("event", "open-failed", "volume", volume, "image", image.toString(), "reason", reason);
  }

  /** A volume was closed (on request, on reload, or at shutdown). */
  public static void closed(String volume) {
    log("event", "close", "volume", volume);
  }

  /** Volumes were quiesced and the IWKey backed up for S3/S4. */
  public static void suspended(int volumes) {
    log("event", "suspend", "volumes", Integer.toString(volumes));
  }

  /** The IWKey was restored and waiting requests released. */
  public static void resumed(int volumes) {
    log("event", "resume", "volumes", Integer.toString(volumes));
  }

  /** The IWKey restore failed: Key Locker is soft-disabled and every request fails with ENODEV. */
  public static void restoreFailed(String reason) {
    warn("event", "restore-failed", "reason", reason);
  }

  /** The platform rebooted with a fresh IWKey (all old handles invalid). */
  public static void rebooted(String keySource) {
    log("event", "reboot", "key-source", keySource);
  }

  /** The fault harness armed a fault. */
  public static void faultInjected(String kind, String target) {
    warn("event", "fault", "kind", kind, "target", target);
  }

  /** The fault harness disarmed a fault. */
  public static void faultCleared(String kind, String target) {
    log("event", "fault-cleared", "kind", kind, "target", target);
  }

  /** A control-plane peer was refused (wrong uid, oversized or timed-out request). */
  public static void refused(int peerUid, String reason) {
    warn("event", "refused", "peer-uid", Integer.toString(peerUid), "reason", reason);
  }

  /** The volume table was (re)read. */
  public static void tableLoaded(Path table, int added, int removed, int changed, int problems) {
    log(
        "event",
        "table",
        "file",
        table.toString(),
        "added",
        Integer.toString(added),
        "removed",
        Integer.toString(removed),
        "changed",
        Integer.toString(changed),
        "problems",
        Integer.toString(problems));
  }

  /** A line of the volume table was refused. */
  public static void tableProblem(TableProblem problem) {
    warn(
        "event",
        "table-problem",
        "file",
        problem.file().toString(),
        "line",
        Integer.toString(problem.line()),
        "reason",
        problem.reason());
  }

  private static void log(String... pairs) {
    emit(AUDIT.atInfo(), pairs);
  }

  private static void warn(String... pairs) {
    emit(AUDIT.atWarn(), pairs);
  }

  private static void emit(LoggingEventBuilder event, String... pairs) {
    List<String> words = new ArrayList<>(pairs.length / 2);
    for (int i = 0; i < pairs.length; i += 2) {
      event = event.addKeyValue(pairs[i], pairs[i + 1]);
      words.add(pairs[i] + "=" + quote(pairs[i + 1]));
    }
    event.log(String.join(" ", words));
  }

  /**
   * Quotes a value that has blanks, quotes, '=' or control characters, so every line splits
   * unambiguously.
   */
  static String quote(String value) {
    boolean plain = !value.isEmpty();
    for (int i = 0; i < value.length() && plain; i++) {
      char c = value.charAt(i);
      plain = c > 0x20 && c != 0x7f && c != '"' && c != '=' && c != '\\';
    }
    if (plain) {
      return value;
    }
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\x%02x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}

package dev.klcrypt.daemon.faults;

import dev.klcrypt.blockdev.fault.KeyLockerFaultSpec;
import dev.klcrypt.daemon.config.AuditLog;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import dev.klcrypt.keylocker.cpu.PlatformFault;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries Key Locker faults out on the emulated platform: from a {@code klcrypt fault add} without
 * a volume (every restore-failure kind the platform knows) or from a scenario step whose trigger
 * fired on a volume. Each one is audited and counted.
 */
final class KeyLockerFaults {
  private static final Logger LOG = LoggerFactory.getLogger("klcrypt.fault");

  /** The restore-failure kinds {@code klcrypt fault add restore-failure kind=K} accepts. */
  static final List<String> RESTORE_KINDS =
      List.of(
          "missing",
          "truncated",
          "corrupt",
          "wrong-boot",
          "earlier-boot",
          "replayed",
          "foreign",
          "unsealable",
          "forced");

  private final EmulatedPlatform platform;
  private final Consumer<String> counted;

  /**
   * @param counted told the metric kind of every fault carried out
   */
  KeyLockerFaults(EmulatedPlatform platform, Consumer<String> counted) {
    this.platform = platform;
    this.counted = counted;
  }

  /**
   * Parses and carries out one Key Locker step given without a volume: {@code [now] [keylocker]
   * KIND [kind=K]}. Such steps take effect at once.
   *
   * @return the metric kind, e.g. {@code restore-corrupt}
   */
  String applyNow(List<String> args) {
    List<String> words = args;
    if (!words.isEmpty() && words.getFirst().equals("now")) {
      words = words.subList(1, words.size());
    }
    if (!words.isEmpty() && words.getFirst().equals("keylocker")) {
      words = words.subList(1, words.size());
    }
    if (words.isEmpty()) {
      throw refused("a Key Locker fault needs a kind (restore-failure, backup-write-failure, ...)");
    }
    String kind = words.getFirst();
    List<String> options = words.subList(1, words.size());
    return switch (kind) {
      case "restore-failure" -> {
        String how = "forced";
        for (String o : options) {
          if (o.startsWith("kind=")) {
            how = o.substring(5).toLowerCase(Locale.ROOT);
          } else {
            throw refused("restore-failure takes only kind=K, got '" + o + "'");
          }
        }
        yield arm(restoreFault(how), "restore-" + how);
      }
      case "backup-write-failure" -> {
        noOptions(kind, options);
        yield arm(PlatformFault.BACKUP_WRITE_FAILURE, kind);
      }
      case "entropy-failure" -> {
        noOptions(kind, options);
        yield arm(PlatformFault.ENTROPY_FAILURE, kind);
      }
      case "iwkey-replaced-without-backup" -> {
        noOptions(kind, options);
        replaceIwKey();
        yield kind;
      }
      case "no-backup-support", "nobackup-iwkey" -> {
        noOptions(kind, options);
        switchAtNextBoot(kind, "platform");
        yield kind;
      }
      default ->
          throw refused(
              "'"
                  + kind
                  + "' is not a Key Locker fault (restore-failure, backup-write-failure,"
                  + " entropy-failure, iwkey-replaced-without-backup, no-backup-support,"
                  + " nobackup-iwkey); block faults need --volume");
    };
  }

  /**
   * Carries out a scenario step's Key Locker fault whose trigger fired (on a volume's I/O path).
   */
  void apply(KeyLockerFaultSpec spec, String target) {
    try {
      switch (spec.kind()) {
        case RESTORE_FAILURE -> {
          String how = spec.restoreFailure().token();
          armAs(restoreFault(how), "restore-" + how, target);
        }
        case BACKUP_WRITE_FAILURE ->
            armAs(PlatformFault.BACKUP_WRITE_FAILURE, "backup-write-failure", target);
        case IWKEY_REPLACED_WITHOUT_BACKUP -> {
          platform.replaceIwKeyWithoutBackup();
          injected("iwkey-replaced-without-backup", target);
        }
        case NO_BACKUP_SUPPORT, NOBACKUP_IWKEY -> switchAtNextBoot(spec.kind().token(), target);
      }
    } catch (RequestRefusedException e) {
      LOG.error(
          "scenario step '{}' on {} not carried out: {}", spec.text(), target, e.getMessage());
    }
  }

  private static PlatformFault restoreFault(String how) {
    return switch (how) {
      case "missing" -> PlatformFault.RESTORE_MISSING;
      case "truncated" -> PlatformFault.RESTORE_TRUNCATED;
      case "corrupt", "corrupted" -> PlatformFault.RESTORE_CORRUPT;
      case "wrong-boot", "earlier-boot" -> PlatformFault.RESTORE_EARLIER_BOOT;
      case "replayed" -> PlatformFault.RESTORE_REPLAYED;
      case "foreign" -> PlatformFault.RESTORE_FOREIGN;
      case "unsealable" -> PlatformFault.RESTORE_UNSEALABLE;
      case "forced" -> PlatformFault.RESTORE_FORCED;
      default ->
          throw refused(
              "restore-failure kind '"
                  + how
                  + "' is unknown ("
                  + String.join(", ", RESTORE_KINDS)
                  + ")");
    };
  }

  private String arm(PlatformFault fault, String metricKind) {
    armAs(fault, metricKind, "platform");
    return metricKind;
  }

  private void armAs(PlatformFault fault, String metricKind, String target) {
    platform.arm(fault);
    injected(metricKind, target);
  }

  private void replaceIwKey() {
    platform.replaceIwKeyWithoutBackup();
    injected("iwkey-replaced-without-backup", "platform");
  }

  private void injected(String metricKind, String target) {
    LOG.warn("injected Key Locker fault {} (from {})", metricKind, target);
    AuditLog.faultInjected("keylocker-" + metricKind, target);
    counted.accept("keylocker-" + metricKind);
  }

  private static void noOptions(String kind, List<String> options) {
    if (!options.isEmpty()) {
      throw refused(kind + " takes no options, got '" + String.join(" ", options) + "'");
    }
  }

  /**
   * A CPU feature switch, like a firmware setting: CPUID and the IWKey's NoBackup flag are fixed
   * while a boot lasts, so it takes effect at the next {@code klcrypt platform reboot} (and {@code
   * klcrypt fault clear} switches it back for the reboot after).
   */
  private void switchAtNextBoot(String kind, String target) {
    PlatformConfig next = platform.nextBootConfig();
    next =
        switch (kind) {
          case "no-backup-support" -> next.withFeatures(next.features().withBackup(false));
          case "nobackup-iwkey" -> next.withNoBackup(true);
          default -> throw refused("'" + kind + "' is not a feature switch");
        };
    platform.configureNextBoot(next);
    injected(kind + "-at-next-boot", target);
  }

  private static RequestRefusedException refused(String why) {
    return new RequestRefusedException(Errno.EINVAL, why);
  }
}

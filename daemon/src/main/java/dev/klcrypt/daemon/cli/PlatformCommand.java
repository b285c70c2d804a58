package dev.klcrypt.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code klcrypt platform suspend|resume|reboot|status}: the emulated platform's power states
 * (docs/POWER.md).
 */
@Command(
    name = "platform",
    description = "Suspend, resume or reboot the emulated Key Locker platform, or show its state.",
    subcommands = {
      PlatformCommand.Suspend.class,
      PlatformCommand.Resume.class,
      PlatformCommand.Reboot.class,
      PlatformCommand.Status.class
    })
final class PlatformCommand implements Runnable {
  @ParentCommand Klcrypt parent;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "Missing verb: suspend, resume, reboot or status.");
  }

  DaemonConnection daemon() {
    return new DaemonConnection(parent.runtimeDir);
  }

  @Command(
      name = "suspend",
      description =
          "Quiesce every volume (new requests wait), back the IWKey up to the sealed file and drop"
              + " the CPU state (S3).")
  static final class Suspend implements Callable<Integer> {
    @ParentCommand PlatformCommand platform;

    @Override
    public Integer call() {
      DaemonConnection d = platform.daemon();
      ObjectNode reply = d.call(d.request("platform-suspend"), null);
      System.out.println(
          "Platform suspended: "
              + reply.path("volumes").asInt()
              + " volumes quiesced, IWKey "
              + (reply.path("backedUp").asBoolean()
                  ? "backed up."
                  : "NOT backed up (the resume will fail)."));
      return ExitCode.SUCCESS.code();
    }
  }

  @Command(
      name = "resume",
      description =
          "Restore the IWKey from the sealed backup and release the waiting requests; exits 7 and"
              + " says why when the restore fails (Key Locker is then disabled until reboot).")
  static final class Resume implements Callable<Integer> {
    @ParentCommand PlatformCommand platform;

    @Override
    public Integer call() {
      DaemonConnection d = platform.daemon();
      ObjectNode reply = d.call(d.request("platform-resume"), null);
      System.out.println("Platform resumed: " + reply.path("message").asText());
      return ExitCode.SUCCESS.code();
    }
  }

  @Command(
      name = "reboot",
      description =
          "Boot again with a new IWKey: volumes with a key file are reopened, the others wait for"
              + " 'klcrypt open'.")
  static final class Reboot implements Callable<Integer> {
    @ParentCommand PlatformCommand platform;

    @Override
    public Integer call() {
      DaemonConnection d = platform.daemon();
      ObjectNode reply = d.call(d.request("platform-reboot"), null);
      System.out.println("Platform rebooted (boot " + reply.path("bootNumber").asLong() + ").");
      System.out.println("  reopened:          " + names(reply.path("reopened")));
      System.out.println("  waiting for a key: " + names(reply.path("awaitingKey")));
      return ExitCode.SUCCESS.code();
    }
  }

  @Command(name = "status", description = "Show the platform's power and Key Locker state.")
  static final class Status implements Callable<Integer> {
    @ParentCommand PlatformCommand platform;

    @Override
    public Integer call() {
      DaemonConnection d = platform.daemon();
      System.out.print(format(d.call(d.request("platform-status"), null)));
      return ExitCode.SUCCESS.code();
    }
  }

  static String format(JsonNode s) {
    StringBuilder out = new StringBuilder();
    String state =
        s.path("softDisabled").asBoolean()
            ? "Key Locker DISABLED"
            : s.path("suspended").asBoolean() ? "suspended" : "running";
    out.append("platform: ").append(state).append('\n');
    line(out, "boot", s.path("bootNumber").asText());
    line(out, "suspended", yesNo(s.path("suspended")));
    line(out, "soft-disabled", yesNo(s.path("softDisabled")));
    if (s.hasNonNull("disabledReason")) {
      line(out, "reason", s.path("disabledReason").asText());
    }
    JsonNode failure = s.path("lastRestoreFailure");
    line(
        out,
        "last restore",
        failure.isMissingNode()
            ? "no failure"
            : "failed ("
                + failure.path("reason").asText()
                + "): "
                + failure.path("message").asText());
    line(out, "IWKey loaded", yesNo(s.path("iwKeyLoaded")));
    line(out, "key source", s.path("keySource").asText());
    line(out, "NoBackup", yesNo(s.path("noBackup")));
    line(out, "copy status", s.path("copyStatus").asText() + " (IA32_COPY_STATUS, MSR 0x990)");
    line(
        out,
        "backup status",
        s.path("iwKeyBackupStatus").asText() + " (IA32_IWKEYBACKUP_STATUS, MSR 0x991)");
    line(out, "backup file", s.path("backupFile").asText());
    line(
        out,
        "requests",
        "gate "
            + s.path("gate").asText()
            + ", "
            + s.path("requestsWaiting").asLong()
            + " waiting, "
            + s.path("requestsInFlight").asLong()
            + " in flight, timeout "
            + s.path("suspendTimeoutMillis").asLong()
            + " ms");
    JsonNode waiting = s.path("awaitingKey");
    if (!waiting.isEmpty()) {
      StringBuilder names = new StringBuilder();
      waiting.forEach(
          w -> names.append(names.isEmpty() ? "" : ", ").append(w.path("name").asText()));
      line(out, "need a key", names.toString());
    }
    s.path("warnings").forEach(w -> line(out, "warning", w.asText()));
    return out.toString();
  }

  private static String names(JsonNode array) {
    if (array.isEmpty()) {
      return "(none)";
    }
    StringBuilder out = new StringBuilder();
    array.forEach(n -> out.append(out.isEmpty() ? "" : ", ").append(n.asText()));
    return out.toString();
  }

  private static String yesNo(JsonNode flag) {
    return flag.asBoolean() ? "yes" : "no";
  }

  private static void line(StringBuilder out, String key, String value) {
    out.append(String.format(Locale.ROOT, "  %-14s %s%n", key + ":", value));
  }
}

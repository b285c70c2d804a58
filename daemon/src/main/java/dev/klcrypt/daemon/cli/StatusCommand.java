package dev.klcrypt.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.daemon.errno.Errno;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code klcrypt status NAME}: cryptsetup-status-style report from klcryptd. */
@Command(name = "status", description = "Show the status of volume NAME.")
final class StatusCommand implements Callable<Integer> {
  @ParentCommand Klcrypt parent;

  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Override
  public Integer call() {
    DaemonConnection daemon = new DaemonConnection(parent.runtimeDir);
    ObjectNode reply;
    try {
      reply = daemon.call(daemon.request("status").put("name", name), null);
    } catch (RemoteRequestException e) {
      if (e.errno() == Errno.ENOENT) {
        System.out.println(parent.runtimeDir.resolve("volumes").resolve(name) + " is inactive.");
        return ExitCode.WRONG_DEVICE.code();
      }
      throw e;
    }
    System.out.print(format(reply));
    return ExitCode.SUCCESS.code();
  }

  static String format(JsonNode v) {
    int sectorSize = v.path("sectorSize").asInt(512);
    boolean inUse = v.path("openHandles").asInt(0) > 0;
    StringBuilder out = new StringBuilder();
    out.append(v.path("path").asText())
        .append(" is active")
        .append(inUse ? " and is in use.\n" : ".\n");
    line(out, "type", v.path("type").asText().toUpperCase(Locale.ROOT));
    line(out, "cipher", v.path("cipher").asText());
    line(out, "keysize", v.path("keyBits").asInt() + " bits");
    line(out, "key location", "keylocker (emulated Key Locker handles)");
    line(out, "device", v.path("image").asText());
    if (v.hasNonNull("loopDevice")) {
      line(out, "loop", v.path("loopDevice").asText());
    }
    line(out, "sector size", Integer.toString(sectorSize));
    line(out, "offset", v.path("offsetBytes").asLong() / 512 + " sectors");
    line(out, "size", v.path("sizeBytes").asLong() / 512 + " sectors");
    line(out, "mode", v.path("readOnly").asBoolean() ? "readonly" : "read/write");
    if (v.path("allowDiscards").asBoolean()) {
      line(out, "flags", "discards");
    }
    return out.toString();
  }

  private static void line(StringBuilder out, String key, String value) {
    out.append(String.format(Locale.ROOT, "  %-13s %s%n", key + ":", value));
  }
}

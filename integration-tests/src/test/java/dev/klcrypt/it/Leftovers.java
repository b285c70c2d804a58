package dev.klcrypt.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the suite could leave behind: mounts, loop devices, daemons below a directory. */
final class Leftovers {
  private Leftovers() {}

  /** Mount points at or below {@code dir} (from /proc/self/mountinfo), deepest first. */
  static List<String> mountsBelow(Path dir) throws IOException {
    String prefix = dir.toAbsolutePath().normalize().toString();
    List<String> found = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      String mp = f[4].replace("\\040", " ");
      if (mp.equals(prefix) || mp.startsWith(prefix + "/")) {
        found.add(mp);
      }
    }
    found.sort((a, b) -> b.length() - a.length());
    return found;
  }

  /** Loop devices whose backing file is at or below {@code dir}. */
  static List<String> loopDevicesBelow(Path dir) throws IOException {
    String prefix = dir.toAbsolutePath().normalize().toString();
    List<String> found = new ArrayList<>();
    Path block = Path.of("/sys/block");
    try (var s = Files.list(block)) {
      for (Path dev : s.filter(p -> p.getFileName().toString().startsWith("loop")).toList()) {
        Path backing = dev.resolve("loop/backing_file");
        if (Files.isReadable(backing)) {
          String file = Files.readString(backing).strip();
          if (file.equals(prefix) || file.startsWith(prefix + "/")) {
            found.add("/dev/" + dev.getFileName());
          }
        }
      }
    }
    return found;
  }

  /** Processes running klcryptd with a runtime dir at or below {@code dir}. */
  static List<String> daemonsBelow(Path dir) {
    String prefix = dir.toAbsolutePath().normalize().toString();
    List<String> found = new ArrayList<>();
    ProcessHandle.allProcesses()
        .forEach(
            p -> {
              String cmd = p.info().commandLine().orElse("");
              if (cmd.contains("dev.klcrypt.daemon.Klcryptd") && cmd.contains(prefix)) {
                found.add(p.pid() + ": " + cmd);
              }
            });
    return found;
  }
}

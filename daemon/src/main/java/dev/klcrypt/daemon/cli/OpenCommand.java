package dev.klcrypt.daemon.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code klcrypt open IMAGE NAME}: asks klcryptd to serve the image as RUNTIME-DIR/volumes/NAME.
 */
@Command(
    name = "open",
    aliases = "luksOpen",
    description = "Unlock IMAGE and serve it as RUNTIME-DIR/volumes/NAME (asks klcryptd).")
final class OpenCommand implements Callable<Integer> {
  @ParentCommand Klcrypt parent;

  @Option(
      names = {"--key-file", "-d"},
      paramLabel = "F",
      description = "read the passphrase from F ('-' = stdin)")
  String keyFile;

  @Option(
      names = "--allow-discards",
      description = "let fallocate(PUNCH_HOLE) / TRIM reach the image")
  boolean allowDiscards;

  @Option(
      names = {"--readonly", "-r"},
      description = "serve the volume read-only")
  boolean readOnly;

  @Option(
      names = "--fault-injection",
      description =
          "serve the volume over the fault-injection store (volatile write cache; 'klcrypt fault"
              + " add --volume NAME' then works on it), docs/FAULTS.md")
  boolean faultInjection;

  @Option(names = "--loop", description = "also attach a loop device (direct I/O) and print it")
  boolean loop;

  @Option(
      names = {"--type", "-M"},
      paramLabel = "TYPE",
      description = "luks, luks1 or luks2 (detected anyway)")
  String type;

  @Parameters(index = "0", paramLabel = "IMAGE")
  Path image;

  @Parameters(index = "1", paramLabel = "NAME")
  String name;

  @Override
  public Integer call() throws Exception {
    if (type != null && !type.matches("(?i)luks[12]?")) {
      throw new CommandFailedException(
          ExitCode.WRONG_PARAMETERS, "Unsupported device type " + type + ".");
    }
    DaemonConnection daemon = new DaemonConnection(parent.runtimeDir);
    ObjectNode request =
        daemon
            .request(faultInjection ? "fault-open" : "open")
            .put("image", image.toAbsolutePath().toString())
            .put("name", name)
            .put("allowDiscards", allowDiscards)
            .put("readOnly", readOnly)
            .put("loop", loop);
    byte[] passphrase = null;
    try {
      if (keyFile != null && !keyFile.equals("-")) {
        request.put("keyFile", Path.of(keyFile).toAbsolutePath().toString());
      } else {
        passphrase =
            PassphraseInput.system().read(keyFile, "Enter passphrase for " + image + ": ", false);
      }
      ObjectNode reply = daemon.call(request, passphrase);
      if (loop) {
        System.out.println(reply.path("loopDevice").asText());
      }
      return ExitCode.SUCCESS.code();
    } finally {
      if (passphrase != null) {
        Arrays.fill(passphrase, (byte) 0);
      }
    }
  }
}

package dev.klcrypt.daemon.cli;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.LuksType;
import dev.klcrypt.blockdev.kdf.Passphrase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code klcrypt luksFormat IMAGE}: writes a new LUKS header and keyslot 0 (runs in this process).
 */
@Command(name = "luksFormat", description = "Format IMAGE (an existing file) as a LUKS volume.")
final class LuksFormatCommand implements Callable<Integer> {
  @Option(
      names = {"--type", "-M"},
      paramLabel = "TYPE",
      description = "luks2 (default) or luks1")
  String type = "luks2";

  @Option(
      names = "--sector-size",
      paramLabel = "BYTES",
      description = "512 or 4096 (default: 4096 if it fits)")
  int sectorSize;

  @Option(
      names = {"--key-size", "-s"},
      paramLabel = "BITS",
      description = "256 or 512 (default 512)")
  int keyBits = 512;

  @Option(
      names = {"--key-file", "-d"},
      paramLabel = "F",
      description = "read the passphrase from F ('-' = stdin)")
  String keyFile;

  @Option(
      names = {"--batch-mode", "-q"},
      description = "do not ask for confirmation")
  boolean batchMode;

  @Option(names = "--label", paramLabel = "LABEL", description = "LUKS2 label")
  String label = "";

  @Option(names = "--subsystem", paramLabel = "NAME", description = "LUKS2 subsystem")
  String subsystem = "";

  @Option(
      names = "--uuid",
      paramLabel = "UUID",
      description = "use this UUID instead of a random one")
  String uuid;

  @Option(
      names = "--allow-discards",
      description = "LUKS2: store the allow-discards flag in the header")
  boolean allowDiscards;

  @Mixin KdfOptions kdf;

  @Parameters(index = "0", paramLabel = "IMAGE")
  Path image;

  @Override
  public Integer call() throws Exception {
    LuksType luksType =
        switch (type.toLowerCase(Locale.ROOT)) {
          case "luks2", "luks" -> LuksType.LUKS2;
          case "luks1" -> LuksType.LUKS1;
          default ->
              throw new CommandFailedException(
                  ExitCode.WRONG_PARAMETERS, "Unsupported LUKS type " + type + ".");
        };
    if (sectorSize != 0 && sectorSize != 512 && sectorSize != 4096) {
      throw new CommandFailedException(
          ExitCode.WRONG_PARAMETERS, "Unsupported sector size " + sectorSize + ".");
    }
    if (keyBits != 256 && keyBits != 512) {
      throw new CommandFailedException(
          ExitCode.WRONG_PARAMETERS,
          "Key size " + keyBits + " is not supported by aes-xts-plain64 (256, 512).");
    }
    if (!Files.isRegularFile(image)) {
      throw new CommandFailedException(
          ExitCode.WRONG_DEVICE,
          "Device " + image + " does not exist or access denied (create the file first).");
    }
    FormatSpec spec =
        FormatSpec.defaults()
            .withType(luksType)
            .withKdf(kdf.toSpec(luksType))
            .withSectorSize(sectorSize)
            .withKeyBits(keyBits)
            .withLabel(label)
            .withSubsystem(subsystem)
            .withUuid(uuid)
            .withAllowDiscards(allowDiscards);
    PassphraseInput input = PassphraseInput.system();
    if (!batchMode) {
      System.err.println(
          "WARNING!\n========\nThis will overwrite data on " + image + " irrevocably.\n");
      if (!input.confirm("Are you sure? (Type 'yes' in capital letters): ")) {
        throw new CommandFailedException(ExitCode.WRONG_PARAMETERS, "Operation aborted.");
      }
    }
    byte[] secret = input.read(keyFile, "Enter passphrase for " + image + ": ", true);
    try (Passphrase passphrase = Passphrase.fromBytes(secret);
        LocalPlatform platform = LocalPlatform.boot()) {
      LuksImage.format(image, spec, passphrase, platform.cpu());
    }
    return ExitCode.SUCCESS.code();
  }
}

package dev.klcrypt.daemon.table;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One accepted line of the volume table.
 *
 * @param name the volume name: the file name under the FUSE mount and the label in logs and metrics
 * @param image the absolute, normalized path of the image file
 * @param keySource where the key comes from
 * @param options the parsed options
 * @param line the 1-based line number in the table file, for messages
 */
public record VolumeTableEntry(
    String name, Path image, KeySource keySource, VolumeOptions options, int line) {

  public VolumeTableEntry {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(keySource, "keySource");
    Objects.requireNonNull(options, "options");
  }

  /** True when the daemon can open this volume without a person: a key file or an ephemeral key. */
  public boolean opensUnattended() {
    return !(keySource instanceof KeySource.Prompt);
  }

  /**
   * True when both entries describe the same volume the same way; the line number does not count.
   */
  public boolean sameSettings(VolumeTableEntry other) {
    return name.equals(other.name)
        && image.equals(other.image)
        && keySource.equals(other.keySource)
        && options.equals(other.options);
  }

  /**
   * The entry in crypttab form (paths unescaped), e.g. {@code data /srv/data.img
   * /etc/klcrypt/data.key luks}.
   */
  public String toCrypttab() {
    String key =
        switch (keySource) {
          case KeySource.KeyFile file -> file.path().toString();
          case KeySource.Prompt prompt -> "none";
          case KeySource.Ephemeral ephemeral -> "none";
        };
    String opts = options.toCrypttab(keySource instanceof KeySource.Ephemeral);
    return name + " " + image + " " + key + (opts.isEmpty() ? "" : " " + opts);
  }
}

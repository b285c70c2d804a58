package dev.klcrypt.daemon.table;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The fourth crypttab field of an entry, parsed. Plain dm-crypt mode does not exist in klcrypt, so
 * {@code luks} only records that the line said so: every image is opened as LUKS (or formatted as
 * LUKS2 when ephemeral).
 *
 * @param luks the line carried {@code luks}
 * @param discard {@code discard}: pass discards (hole punching) through to the image
 * @param sectorSize {@code sector-size=512|4096}: for ephemeral volumes the sector size of the
 *     fresh header; for others the size the header must declare (the open fails otherwise); empty
 *     when not given
 * @param noFail {@code nofail}: a failure to open this volume does not fail the daemon's start
 * @param readOnly {@code readonly}: the volume file is read-only and writes return EROFS
 */
public record VolumeOptions(
    boolean luks, boolean discard, OptionalInt sectorSize, boolean noFail, boolean readOnly) {

  /** No options given. */
  public static final VolumeOptions NONE =
      new VolumeOptions(false, false, OptionalInt.empty(), false, false);

  /**
   * The options in crypttab spelling, comma-separated, for logs and status output ({@code ""} for
   * none).
   */
  public String toCrypttab(boolean ephemeral) {
    List<String> parts = new ArrayList<>();
    if (luks) {
      parts.add("luks");
    }
    if (discard) {
      parts.add("discard");
    }
    sectorSize.ifPresent(size -> parts.add("sector-size=" + size));
    if (noFail) {
      parts.add("nofail");
    }
    if (readOnly) {
      parts.add("readonly");
    }
    if (ephemeral) {
      parts.add("ephemeral");
    }
    return String.join(",", parts);
  }
}

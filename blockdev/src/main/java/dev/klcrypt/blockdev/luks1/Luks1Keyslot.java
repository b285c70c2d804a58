package dev.klcrypt.blockdev.luks1;

/**
 * One LUKS1 keyslot as stored (48 bytes at 208 + 48·index).
 *
 * @param keyMaterialOffset in 512-byte sectors
 */
public record Luks1Keyslot(
    int index, boolean active, int iterations, byte[] salt, int keyMaterialOffset, int stripes) {
  public static final int ACTIVE = 0x00AC71F3;
  public static final int DISABLED = 0x0000DEAD;

  @Override
  public String toString() {
    return "Luks1Keyslot[" + index + (active ? ", active" : ", disabled") + "]";
  }
}

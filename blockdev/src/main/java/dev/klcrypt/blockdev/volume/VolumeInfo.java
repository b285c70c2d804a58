package dev.klcrypt.blockdev.volume;

/**
 * What an open volume is: secret-free.
 *
 * @param type "luks2" or "luks1"
 * @param dataOffset byte offset of the data area in the image
 * @param size data-area bytes
 */
public record VolumeInfo(
    String type,
    String uuid,
    String label,
    String cipher,
    int keyBits,
    int sectorSize,
    long dataOffset,
    long size,
    boolean allowDiscards,
    boolean readOnly) {}

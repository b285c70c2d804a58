package dev.klcrypt.daemon.table;

import java.util.List;

/**
 * The difference between two readings of the volume table, matched by volume name.
 *
 * @param added entries whose name is new: open them if they open unattended
 * @param removed entries of the old table whose name is gone: close them
 * @param changed entries of the new table whose image, key source or options differ from the old
 *     entry of the same name: close the old volume and open the new one
 * @param unchanged entries of the new table that are the same as before (their line may have
 *     moved): leave them open
 */
public record TableChanges(
    List<VolumeTableEntry> added,
    List<VolumeTableEntry> removed,
    List<VolumeTableEntry> changed,
    List<VolumeTableEntry> unchanged) {
  public TableChanges {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
    changed = List.copyOf(changed);
    unchanged = List.copyOf(unchanged);
  }

  /** True when the reload changes nothing. */
  public boolean isEmpty() {
    return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
  }
}

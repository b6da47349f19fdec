package org.stowage.cli;

import org.stowage.Metadata;

/** How an object is printed, in plain lines and in JSON lines, by every command alike. */
final class Lines {
  private Lines() {}

  /**
   * An object: {@code MD5 SIZE LOCATION} (as md5sum writes, with the size between), or {@code
   * {"location","size","md5"}} in JSON. With no metadata, the location alone.
   *
   * @param location the object's location
   * @param metadata its metadata, or {@code null} to print only the location
   * @param json whether to print JSON
   * @return the line
   */
  static String object(String location, Metadata metadata, boolean json) {
    if (json) {
      return metadata == null
          ? Json.object("location", location)
          : Json.object("location", location, "size", metadata.size(), "md5", metadata.md5());
    }
    return metadata == null ? location : metadata.md5() + " " + metadata.size() + " " + location;
  }
}

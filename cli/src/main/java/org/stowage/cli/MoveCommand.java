package org.stowage.cli;

import picocli.CommandLine.Command;

@Command(
    name = "mv",
    description = {
      "Move an object, within a store (a rename where the backend has one) or between stores:"
          + " copied and verified first, and the source deleted only once the target holds the"
          + " same content. A failure at any step leaves the object at the source.",
      "Output: \"MD5 SIZE DST_LOCATION\", or a JSON object with --json."
    })
final class MoveCommand extends CopyCommand {
  @Override
  boolean removesSource() {
    return true;
  }
}

package io.crmlake.report;

import io.crmlake.report.Report.Block;
import java.util.List;

/**
 * One section of the run report: its anchor, heading and one line on what it shows, and the blocks
 * it computes from the lake. {@link RunReport} lists the sections in page order and turns a missing
 * table into a note naming the command that makes it.
 */
interface ReportSection {
  /** The section's anchor in the page (tests find sections by it). */
  String id();

  String title();

  /** One line under the heading: what the section shows. */
  String shows();

  /**
   * The section's charts, tables and notes, in page order.
   *
   * @throws io.crmlake.common.lake.Lake.MissingTableException when a table it reads does not exist
   */
  List<Block> blocks(ReportInputs in);
}

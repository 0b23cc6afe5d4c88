/** Up to this many points a line also draws its points; past it the dots would hide the line. */
const DOTS_UP_TO = 40;

/**
 * A line's dots. Without dots a line through one point draws nothing, which is why the accuracy chart
 * stayed blank while a federation had completed only its first round.
 */
export function lineDots(points: number): false | { r: number } {
  return points <= DOTS_UP_TO ? { r: 3 } : false;
}

/** Axis label room: recharts clips tick labels wider than the axis, so the percent and byte axes get their width. */
export const AXIS = { percentWidth: 48, bytesWidth: 96, plainWidth: 48, xHeight: 36 } as const;

export const CHART_MARGIN = { top: 8, right: 8, bottom: 4, left: 4 };

// Geometry shared by the graph view's layout (layoutPlan.ts, unitLayout.ts) and its drawing.

export interface Point {
  x: number;
  y: number;
}

/** Sizes the view draws items at: the layout must use the same. */
export interface ItemSize {
  readonly width: number;
  readonly height: number;
}

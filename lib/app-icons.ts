// The app's icons for phones and installs (plain data, shared by app/manifest.ts, the root
// layout's metadata, the global limit's exemptions and scripts/make-icons.ts, which draws
// them from app/icon.svg into public/).
//
// Two shapes: "rounded" is app/icon.svg as it is (transparent corners), for places that show
// an icon as drawn; "full-bleed" fills the square and shrinks the mark into the middle, for
// places that cut their own shape out of it — Android's maskable icons (the mark must stay
// inside the central circle of 80 % of the width) and iOS, which rounds the corners itself
// and would fill transparent ones with black.

export interface AppIcon {
  /** Its URL path, which is also its path under public/. */
  src: string;
  /** Width and height in pixels. */
  size: number;
  shape: "rounded" | "full-bleed";
  /** The web manifest's `purpose`. */
  purpose: "any" | "maskable";
}

/** The web manifest's icons: Chrome asks for 192 and 512 px before it offers an install. */
export const MANIFEST_ICONS: readonly AppIcon[] = [
  { src: "/icons/icon-192.png", size: 192, shape: "rounded", purpose: "any" },
  { src: "/icons/icon-512.png", size: 512, shape: "rounded", purpose: "any" },
  { src: "/icons/icon-maskable-512.png", size: 512, shape: "full-bleed", purpose: "maskable" },
];

/** iOS's home-screen icon, at its own well-known path (asked for even without a link). */
export const APPLE_TOUCH_ICON: AppIcon = {
  src: "/apple-touch-icon.png",
  size: 180,
  shape: "full-bleed",
  purpose: "any",
};

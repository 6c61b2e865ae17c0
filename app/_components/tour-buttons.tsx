import type { Tour, TourId } from "../../lib/demo/tours";

/** Buttons that start the given guided tours (the board's own first). */
export function TourButtons({ tours, onStart }: { tours: Tour[]; onStart: (id: TourId) => void }) {
  if (tours.length === 0) return null;
  return (
    <div className="tour-buttons" role="group" aria-label="Guided tours">
      {tours.map((t, i) => (
        <button key={t.id} type="button" className={i === 0 ? "btn btn-sm btn-primary" : "btn btn-sm"} data-testid={`tour-start-${t.id}`} onClick={() => onStart(t.id)}>
          Tour: {t.title.charAt(0).toLowerCase() + t.title.slice(1)}
        </button>
      ))}
    </div>
  );
}

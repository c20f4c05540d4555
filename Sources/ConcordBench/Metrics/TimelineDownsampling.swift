/// Thins per-frame series for the HTML report, which embeds every point: a 60 s stream at 20 ms
/// frames has 3 000 points per series, a long run many more.
///
/// Series keep their shape by min/max decimation: the points are cut into `limit/2` equal
/// buckets and each bucket contributes its lowest and its highest point, in time order. Unlike
/// taking every k-th point, a latency spike or a delay dip of a single frame survives, which is
/// what a reader of a latency plot looks for.
public enum TimelineDownsampling {
    /// Points kept per series at most.
    public static let defaultLimit = 5_000

    public static func minMax(_ points: [StreamTimeline.Point], limit: Int = defaultLimit) -> [StreamTimeline.Point] {
        guard limit >= 2, points.count > limit else { return points }
        let buckets = limit / 2
        let size = (points.count + buckets - 1) / buckets
        var out: [StreamTimeline.Point] = []
        out.reserveCapacity(2 * buckets)
        var start = 0
        while start < points.count {
            let end = min(points.count, start + size)
            var low = start, high = start
            for index in start..<end {
                if points[index].value < points[low].value { low = index }
                if points[index].value > points[high].value { high = index }
            }
            if low == high {
                out.append(points[low])
            } else {
                out.append(points[min(low, high)])
                out.append(points[max(low, high)])
            }
            start = end
        }
        return out
    }

    /// Every k-th element so that at most `limit` remain (for event marks, which have no value
    /// to preserve extremes of).
    public static func stride<T>(_ items: [T], limit: Int = defaultLimit) -> [T] {
        guard limit >= 1, items.count > limit else { return items }
        let step = (items.count + limit - 1) / limit
        return Swift.stride(from: 0, to: items.count, by: step).map { items[$0] }
    }
}

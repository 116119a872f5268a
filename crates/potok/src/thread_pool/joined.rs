//! [`Joined`]: a map's chunk results put together in input order, in the first chunk's buffer.

/// The results of a map's chunks, appended in input order to the first chunk's own `Vec`.
///
/// `ThreadPool`'s chunking (`pool.rs`) makes the first chunk the input's own buffer and, when
/// `R` fits in `T`'s place, `collect` leaves its results there with the input's capacity: the
/// other chunks' results are then appended without allocating. Otherwise the first push
/// reserves room for every result, so there is one allocation either way (and at most one
/// shrink, see [`finish`](Self::finish)).
pub(crate) struct Joined<R> {
    out: Option<Vec<R>>,
    /// How many results there will be in all.
    len: usize,
}

impl<R> Joined<R> {
    /// Room for `len` results.
    pub(crate) fn new(len: usize) -> Self {
        Joined { out: None, len }
    }

    /// Appends the next chunk's results.
    pub(crate) fn push(&mut self, part: Vec<R>) {
        match &mut self.out {
            Some(out) => out.extend(part),
            None => {
                let mut first = part;
                first.reserve(self.len.saturating_sub(first.len()));
                self.out = Some(first);
            }
        }
    }

    /// Every result pushed, in order. A buffer more than twice the size the results need (a
    /// map from large items to small results, whose first chunk kept the items' buffer) is
    /// shrunk, so the result does not hold the input's memory.
    pub(crate) fn finish(self) -> Vec<R> {
        let mut out = self.out.unwrap_or_default();
        if out.capacity() / 2 > out.len() {
            out.shrink_to_fit();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_joined_in_order_in_the_first_chunks_buffer() {
        let mut first = Vec::with_capacity(6);
        first.extend([1, 2]);
        let buffer = first.as_ptr();
        let mut joined = Joined::new(5);
        joined.push(first);
        joined.push(vec![3, 4]);
        joined.push(vec![5]);
        let out = joined.finish();
        assert_eq!(out, [1, 2, 3, 4, 5]);
        assert_eq!(
            out.as_ptr(),
            buffer,
            "no reallocation: the first buffer had room"
        );
    }

    #[test]
    fn a_first_chunk_without_room_reserves_for_all() {
        let mut joined = Joined::new(4);
        joined.push(vec![1]);
        let out = joined.out.as_ref().unwrap();
        assert!(out.capacity() >= 4);
        joined.push(vec![2, 3, 4]);
        assert_eq!(joined.finish(), [1, 2, 3, 4]);
        assert!(Joined::<u8>::new(0).finish().is_empty());
    }

    #[test]
    fn a_first_buffer_far_larger_than_the_results_is_shrunk() {
        let mut first = Vec::with_capacity(100);
        first.extend([1u64, 2]);
        let mut joined = Joined::new(3);
        joined.push(first);
        joined.push(vec![3]);
        let out = joined.finish();
        assert_eq!(out, [1, 2, 3]);
        assert!(out.capacity() < 100, "capacity {}", out.capacity());
    }
}

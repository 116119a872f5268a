//! [`StarFn`]: a closure of 0 to 6 arguments called with a tuple (Python's `f(*args)`).

/// A function called with its arguments as a tuple: how [`ThreadPool`](crate::ThreadPool)'s
/// `starmap` and `apply` take functions of several arguments (Python's `f(*args)`).
///
/// Implemented for every `Fn` of 0 to 6 arguments, with the tuple `()`, `(A,)`, `(A, B)`, ...
///
/// # Examples
///
/// ```
/// use potok::thread_pool::StarFn;
///
/// let add3 = |a: i32, b: i32, c: i32| a + b + c;
/// assert_eq!(add3.call_star((1, 2, 3)), 6);
/// ```
pub trait StarFn<Args, R>: Send + Sync + 'static {
    /// Calls the function with the tuple's items as its arguments.
    fn call_star(&self, args: Args) -> R;
}

macro_rules! star_fn {
    ($($a:ident),*) => {
        impl<F, R, $($a,)*> StarFn<($($a,)*), R> for F
        where
            F: Fn($($a),*) -> R + Send + Sync + 'static,
        {
            #[allow(non_snake_case)]
            fn call_star(&self, ($($a,)*): ($($a,)*)) -> R {
                self($($a),*)
            }
        }
    };
}

star_fn!();
star_fn!(A);
star_fn!(A, B);
star_fn!(A, B, C);
star_fn!(A, B, C, D);
star_fn!(A, B, C, D, E);
star_fn!(A, B, C, D, E, G);

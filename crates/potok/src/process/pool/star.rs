//! [`StarTask`]: a function of 1 to 6 arguments that a worker process can run, given its
//! arguments as a tuple (Python's `f(*args)`): what [`Pool::starmap`](super::Pool::starmap),
//! [`Pool::apply`](super::Pool::apply) and their `_async` forms take.
//!
//! A task crosses to the worker as a function identity (see [`Task`]), so it must be a plain
//! function: a `fn` item (`add`), a function pointer (`add as fn(u64, u64) -> u64`), or a
//! closure that captures nothing. The first and the last are zero-sized types, which a worker
//! can call without any value to send: a small generic function, instantiated for the type,
//! calls it, and that function's identity is what travels. A function pointer travels as
//! itself (see `Task`). A closure that captures something cannot run in another process and is refused
//! (at compile time when its captures are not pointer-sized, else when the call is made).

use std::any::Any;
use std::marker::PhantomData;
use std::mem::size_of;

use crate::process::data::Data;
use crate::process::task::TaskId;

/// Tells [`StarTask`]'s implementations apart by the number of arguments `N`; never named
/// by callers (the compiler infers it).
pub struct Arity<const N: usize>(PhantomData<()>);

impl<const N: usize> std::fmt::Debug for Arity<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Arity<{N}>")
    }
}

/// A function a worker process can run with its arguments given as `Args`: `fn(T) -> R` with
/// the argument itself, or `fn(A, B, ...) -> R` (up to 6 arguments) with a tuple `(A, B, ...)`
/// (Python's `pool.starmap(f, [(a, b), ...])` and `pool.apply(f, (a, b))`).
///
/// Implemented for `fn` items, function pointers and closures that capture nothing, whose
/// arguments and result are [`Data`]. `M` is an [`Arity`] the compiler infers. It is sealed:
/// the worker must be able to find the function from its identity alone.
///
/// # Examples
///
/// ```no_run
/// // no_run: workers re-run this executable, and rustdoc's wrapper does not dispatch them.
/// fn volume(x: u32, y: u32, z: u32) -> u32 {
///     x * y * z
/// }
///
/// fn main() {
///     potok::main(|| {
///         let pool = potok::process::Pool::new(2).unwrap();
///         assert_eq!(pool.starmap(volume, [(1, 2, 3), (2, 2, 2)]).unwrap(), [6, 8]);
///         assert_eq!(pool.apply(volume, (3, 3, 3)).unwrap(), 27);
///         // One argument is given as itself, as `map` takes it.
///         assert_eq!(pool.apply(u32::count_ones, 7).unwrap(), 3);
///     });
/// }
/// ```
pub trait StarTask<M, Args, R>:
    Copy + Send + Sync + 'static + sealed::Identity<M, Args, R>
{
}

mod sealed {
    use crate::process::task::TaskId;

    /// A task's identity, wrapped so that the sealed trait's method names no crate-private type.
    #[derive(Debug)]
    pub struct Ident(pub(crate) TaskId);

    pub trait Identity<M, Args, R> {
        /// What travels to the worker to run this function.
        fn task_id(self) -> Ident;
    }
}

/// The identity under which `f` runs in a worker.
pub(super) fn task_id<M, Args, R, F: StarTask<M, Args, R>>(f: F) -> TaskId {
    sealed::Identity::task_id(f).0
}

/// A value of `F`, a zero-sized `Copy` function type (a `fn` item or a closure without
/// captures), made in a worker that never received one.
///
/// # Panics
///
/// If `F` is not zero-sized (the callers check first).
fn conjure<F: Copy + 'static>() -> F {
    assert_eq!(
        size_of::<F>(),
        0,
        "only a zero-sized function type can be made from nothing"
    );
    // SAFETY: `F` has no bytes, so every bit pattern (none) is valid for it. On stable Rust
    // only the compiler's `fn` items and closures implement `Fn`, and a zero-sized closure
    // captures only zero-sized `Copy` values: making one here is making a copy of the value
    // the caller passed to the pool in the parent process, which `Copy` allows.
    unsafe { std::mem::zeroed() }
}

/// Why a function type is refused at run time.
fn captures<F>() -> ! {
    panic!(
        "{} cannot run in a worker process: it captures values (only fn items, function \
         pointers and closures that capture nothing can)",
        std::any::type_name::<F>()
    )
}

/// A function type a worker can find: zero-sized, or pointer-sized (a function pointer,
/// checked at run time). Checked when the call is compiled.
const fn plain_size<F>() -> bool {
    size_of::<F>() == 0 || size_of::<F>() == size_of::<fn()>()
}

impl<F, T, R> sealed::Identity<Arity<1>, T, R> for F
where
    F: Fn(T) -> R + Copy + Send + Sync + 'static,
    T: Data,
    R: Data,
{
    fn task_id(self) -> sealed::Ident {
        const {
            assert!(
                plain_size::<F>(),
                "a task must be a function or a closure that captures nothing"
            )
        };
        fn by_type<F: Fn(T) -> R + Copy + 'static, T, R>(arg: T) -> R {
            conjure::<F>()(arg)
        }
        if size_of::<F>() == 0 {
            let f: fn(T) -> R = by_type::<F, T, R>;
            return sealed::Ident(TaskId::of(f));
        }
        match (&self as &dyn Any).downcast_ref::<fn(T) -> R>() {
            Some(&f) => sealed::Ident(TaskId::of(f)),
            None => captures::<F>(),
        }
    }
}

impl<F, T, R> StarTask<Arity<1>, T, R> for F
where
    F: Fn(T) -> R + Copy + Send + Sync + 'static,
    T: Data,
    R: Data,
{
}

/// [`StarTask`] for functions of several arguments.
macro_rules! star_task {
    ($n:literal: $($a:ident),+) => {
        impl<F, R, $($a,)+> sealed::Identity<Arity<$n>, ($($a,)+), R> for F
        where
            F: Fn($($a),+) -> R + Copy + Send + Sync + 'static,
            R: Data,
            $($a: Data,)+
        {
            fn task_id(self) -> sealed::Ident {
                const { assert!(plain_size::<F>(), "a task must be a function or a closure that captures nothing") };
                #[allow(non_snake_case)]
                fn by_type<F: Fn($($a),+) -> R + Copy + 'static, R, $($a,)+>(
                    ($($a,)+): ($($a,)+),
                ) -> R {
                    conjure::<F>()($($a),+)
                }
                if size_of::<F>() == 0 {
                    let f: fn(($($a,)+)) -> R = by_type::<F, R, $($a,)+>;
                    return sealed::Ident(TaskId::of(f));
                }
                match (&self as &dyn Any).downcast_ref::<fn($($a),+) -> R>() {
                    Some(&f) => sealed::Ident(TaskId::of(f)),
                    None => captures::<F>(),
                }
            }
        }

        impl<F, R, $($a,)+> StarTask<Arity<$n>, ($($a,)+), R> for F
        where
            F: Fn($($a),+) -> R + Copy + Send + Sync + 'static,
            R: Data,
            $($a: Data,)+
        {
        }
    };
}

star_task!(2: A, B);
star_task!(3: A, B, C);
star_task!(4: A, B, C, D);
star_task!(5: A, B, C, D, E);
star_task!(6: A, B, C, D, E, G);

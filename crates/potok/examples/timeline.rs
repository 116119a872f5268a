//! A small program under `potok::trace`: a lock shared by two threads, an `RwLock` they read
//! together while a third waits to write it, a queue between a producer and a consumer, an
//! event that starts them. Writes the timeline page and the JSON.
//!
//! ```sh
//! cargo run -p potok --example timeline -- /tmp/timeline.html /tmp/timeline.json
//! ```

use std::sync::Arc;
use std::time::Duration;

fn main() {
    potok::main(|| {
        let mut args = std::env::args().skip(1);
        let html = args.next().unwrap_or_else(|| "timeline.html".into());
        let json = args.next();
        let recording = potok::trace::start();
        let start = Arc::new(potok::Event::named("start"));
        let bank = Arc::new(potok::Mutex::named("bank", 0_i64));
        let rates = Arc::new(potok::RwLock::named("rates", 1_i64));
        let orders = potok::Queue::named("orders", 3);
        let mut threads = Vec::new();
        for (name, amount) in [("deposits", 100), ("withdrawals", -100)] {
            let (start, bank, rates) = (Arc::clone(&start), Arc::clone(&bank), Arc::clone(&rates));
            threads.push(
                potok::Builder::new()
                    .name(name)
                    .spawn(move || {
                        start.wait();
                        for _ in 0..5 {
                            let rate = {
                                let rate = rates.read();
                                potok::sleep(Duration::from_millis(3));
                                *rate
                            };
                            let mut balance = bank.lock();
                            *balance += amount * rate;
                            potok::sleep(Duration::from_millis(3));
                            drop(balance);
                            potok::sleep(Duration::from_millis(2));
                        }
                    })
                    .unwrap(),
            );
        }
        let setter = {
            let (rates, start) = (Arc::clone(&rates), Arc::clone(&start));
            potok::Builder::new()
                .name("rate setter")
                .spawn(move || {
                    start.wait();
                    potok::sleep(Duration::from_millis(2));
                    *rates.write() = 2;
                })
                .unwrap()
        };
        let producer = {
            let (orders, start) = (orders.clone(), Arc::clone(&start));
            potok::Builder::new()
                .name("producer")
                .spawn(move || {
                    start.wait();
                    for i in 0..8 {
                        orders.put(i).unwrap();
                        potok::sleep(Duration::from_millis(1));
                    }
                })
                .unwrap()
        };
        let consumer = {
            let orders = orders.clone();
            potok::Builder::new()
                .name("consumer")
                .spawn(move || {
                    for _ in 0..8 {
                        orders.get().unwrap();
                        potok::sleep(Duration::from_millis(4));
                    }
                })
                .unwrap()
        };
        potok::sleep(Duration::from_millis(5));
        potok::trace::mark("start");
        start.set();
        for t in threads {
            t.join().unwrap();
        }
        setter.join().unwrap();
        producer.join().unwrap();
        consumer.join().unwrap();
        let trace = recording.finish();
        trace.write_html(&html).expect("write the page");
        if let Some(json) = json {
            trace.write_json(json).expect("write the JSON");
        }
        eprintln!("timeline: {html} ({} events)", trace.len());
    });
}

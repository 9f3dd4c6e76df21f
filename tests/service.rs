//! The analysis service the page runs in its Web Worker: every answer equals the engine's own
//! result, survives the trip as postcard bytes bit for bit, a refused file keeps the tensor shown
//! before, and the queue drops stale work.

#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use quantlens::engine::analysis::{self, Options};
use quantlens::engine::range::RangeMethod;
use quantlens::engine::spec::PRESETS;
use quantlens::export::{self, ExportMeta, ExportSource};
use quantlens::formats::{self, FileBytes};
use quantlens::service::{decode, encode, Pending, Queue, Request, Response, Service, SourceName};

fn file(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect(rel)
}

const SAMPLE: &str = "assets/samples/efficientnet_lite0__blocks15_depthwise_conv.npy";

/// Sends a request through postcard both ways, as the worker boundary does.
fn ask(s: &mut Service, r: Request, bytes: Option<Vec<u8>>) -> Response {
    let r: Request = decode(&encode(&r).unwrap()).unwrap();
    let mut seen = Vec::new();
    let answer = s.handle(r, bytes.map(FileBytes::from), &mut |p| seen.push(p));
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]) && seen.iter().all(|p| (0.0..=1.0).contains(p)),
        "progress goes forward within 0..1: {seen:?}"
    );
    decode(&encode(&answer).unwrap()).unwrap()
}

fn opts() -> Options {
    Options {
        group_size: 32,
        ..Options::new(PRESETS[0].spec)
    }
}

#[test]
fn answers_equal_the_engine_bit_for_bit() {
    let bytes = file(SAMPLE);
    let tensor = formats::open(&bytes, None).unwrap().loaded.tensor;
    let mut s = Service::new();
    let Response::Opened(Ok(info)) = ask(
        &mut s,
        Request::Open {
            label: "x".into(),
            member: None,
        },
        Some(bytes),
    ) else {
        panic!("open failed")
    };
    assert_eq!(info.shape, tensor.shape());
    assert!(info.members.is_empty());

    for method in [
        RangeMethod::MinMax,
        RangeMethod::Percentile(99.9),
        RangeMethod::Mse,
    ] {
        let o = Options { method, ..opts() };
        let expected = analysis::analyze_with(&tensor, 0, &o).unwrap();
        let Response::Report(Ok(r)) = ask(&mut s, Request::Analyze { axis: 0, opts: o }, None)
        else {
            panic!("analysis failed")
        };
        // PartialEq on floats: NaN-free reports compare bit for bit through the round trip.
        assert_eq!(*r, expected.without_groups(), "{method:?}");
        assert!(r.groups.is_empty() && r.group_count == expected.groups.len());
        assert_eq!(
            format!("{:?}", r.per_channel.msqe.to_bits()),
            format!("{:?}", expected.per_channel.msqe.to_bits())
        );
    }

    let report = analysis::analyze_with(&tensor, 0, &opts()).unwrap();
    ask(
        &mut s,
        Request::Analyze {
            axis: 0,
            opts: opts(),
        },
        None,
    );
    let Response::Channel(Some(v)) = ask(
        &mut s,
        Request::Channel {
            channel: 7,
            percentile: 99.99,
        },
        None,
    ) else {
        panic!("no channel view")
    };
    assert_eq!(
        v,
        analysis::channel_view(&tensor, &report, 7, 99.99).unwrap()
    );
    assert_eq!(
        ask(
            &mut s,
            Request::Channel {
                channel: 100_000,
                percentile: 99.99
            },
            None
        ),
        Response::Channel(None)
    );

    let sweep = analysis::sweep(&tensor, 0, &opts(), 2..=8).unwrap();
    for (i, bits) in (2..=8).enumerate() {
        let Response::SweepPoint(Ok(p)) = ask(
            &mut s,
            Request::SweepPoint {
                axis: 0,
                opts: opts(),
                bits,
            },
            None,
        ) else {
            panic!("no sweep point")
        };
        assert_eq!(p, sweep[i]);
    }

    let sample = quantlens::samples::find("efficientnet_lite0__blocks15_depthwise_conv").unwrap();
    let Response::Npz(Ok(npz)) = ask(
        &mut s,
        Request::Npz {
            scheme: "ort-int8".into(),
            source: SourceName::Sample(sample.id.into()),
        },
        None,
    ) else {
        panic!("no npz")
    };
    let meta = ExportMeta {
        scheme: "ort-int8",
        source: ExportSource::Sample(sample),
    };
    assert_eq!(npz, export::quantized_npz(&tensor, &report, &meta).unwrap());
}

/// The service keeps the tensor's histogram between analyses: other axes and schemes, and the
/// next tensor opened, still get exactly the engine's report.
#[test]
fn analyses_after_the_first_and_of_the_next_tensor_equal_the_engine() {
    let mut s = Service::new();
    for rel in [
        SAMPLE,
        "assets/samples/ppocrv4_det__conv2d_412_depthwise.npy",
    ] {
        let bytes = file(rel);
        let tensor = formats::open(&bytes, None).unwrap().loaded.tensor;
        let open = Request::Open {
            label: String::new(),
            member: None,
        };
        assert!(matches!(
            ask(&mut s, open, Some(bytes)),
            Response::Opened(Ok(_))
        ));
        for (axis, preset) in [(0usize, 0), (0, 3), (2, 1), (1, 5), (0, 0)] {
            let o = Options {
                group_size: 16,
                ..Options::new(PRESETS[preset].spec)
            };
            let expected = analysis::analyze_with(&tensor, axis as isize, &o).unwrap();
            let Response::Report(Ok(r)) = ask(&mut s, Request::Analyze { axis, opts: o }, None)
            else {
                panic!("analysis failed")
            };
            assert_eq!(
                *r,
                expected.without_groups(),
                "{rel} axis {axis} preset {preset}"
            );
        }
    }
}

/// The worker takes an analysis in slices; however they fall, the report is the whole one's.
#[test]
fn an_analysis_in_slices_equals_the_whole() {
    for (rel, axis, preset) in [
        (SAMPLE, 0, 0),
        ("assets/samples/ppocrv4_det__conv2d_412_depthwise.npy", 1, 4),
        ("assets/samples/silero_vad__conv1.npy", 0, 8),
    ] {
        let tensor = formats::open(&file(rel), None).unwrap().loaded.tensor;
        let o = Options {
            group_size: 16,
            ..Options::new(PRESETS[preset].spec)
        };
        let whole = analysis::analyze_with(&tensor, axis, &o).unwrap();
        for slice in [1usize, 7] {
            let mut run = analysis::Analysis::start(&tensor, axis, &o, true, None).unwrap();
            let mut calls = 0;
            loop {
                let mut left = slice;
                let done = run
                    .run(&tensor, &mut |_| {}, &mut || {
                        left -= 1;
                        left > 0
                    })
                    .unwrap();
                calls += 1;
                if done {
                    break;
                }
                assert_eq!(run.channels_done(), calls * slice, "{rel}");
            }
            assert_eq!(calls, run.channel_count().div_ceil(slice), "{rel}");
            assert_eq!(
                run.finish(&tensor, None).unwrap(),
                whole,
                "{rel} slice {slice}"
            );
        }
        // Unfinished, or continued on another tensor: refused, not a wrong report.
        let run = analysis::Analysis::start(&tensor, axis, &o, true, None).unwrap();
        assert!(run.finish(&tensor, None).is_err());
        let other = formats::open(&file("assets/samples/silero_vad__conv1.npy"), None)
            .unwrap()
            .loaded
            .tensor;
        if other.shape() != tensor.shape() {
            let mut run = analysis::Analysis::start(&tensor, axis, &o, true, None).unwrap();
            assert!(run.run(&other, &mut |_| {}, &mut || true).is_err());
        }
    }
}

/// What makes a running job stale (the worker drops it between slices): a tensor request, a newer
/// analysis for an analysis, a newer point at the same bit width for a sweep point.
#[test]
fn running_jobs_are_made_stale_only_by_newer_requests_of_their_kind() {
    use quantlens::service::Begun;
    let mut s = Service::new();
    let open = Request::Open {
        label: String::new(),
        member: None,
    };
    ask(&mut s, open.clone(), Some(file(SAMPLE)));
    let analyse = Request::Analyze {
        axis: 0,
        opts: opts(),
    };
    let sweep = |bits| Request::SweepPoint {
        axis: 0,
        opts: opts(),
        bits,
    };
    let channel = Request::Channel {
        channel: 1,
        percentile: 99.9,
    };
    let Begun::Job(a) = s.begin(analyse.clone()) else {
        panic!("an analysis is a job")
    };
    let Begun::Job(p) = s.begin(sweep(4)) else {
        panic!("a sweep point is a job")
    };
    assert!(matches!(s.begin(channel.clone()), Begun::NotAJob(_)));
    assert!(a.made_stale_by(&open) && a.made_stale_by(&analyse));
    assert!(!a.made_stale_by(&channel) && !a.made_stale_by(&sweep(4)));
    assert!(p.made_stale_by(&open) && p.made_stale_by(&sweep(4)));
    assert!(!p.made_stale_by(&sweep(5)) && !p.made_stale_by(&analyse));
    // A job finished in one go answers as `handle` does.
    let Ok(Response::Report(Ok(r))) = s.resume(a, &mut |_| {}, &mut || true) else {
        panic!("no report")
    };
    let tensor = formats::open(&file(SAMPLE), None).unwrap().loaded.tensor;
    assert_eq!(
        *r,
        analysis::analyze_with(&tensor, 0, &opts())
            .unwrap()
            .without_groups()
    );
}

/// Picking an empty member is refused, and the file stays for the next pick (a fresh user found
/// the file dropped, so every later pick said "the file is empty (0 bytes)").
#[test]
fn a_refused_empty_member_keeps_the_file_for_the_next_pick() {
    let mut s = Service::new();
    let open = Request::Open {
        label: "m.npz".into(),
        member: None,
    };
    let Response::Opened(Ok(first)) =
        ask(&mut s, open, Some(file("tests/fixtures/empty_member.npz")))
    else {
        panic!("npz refused")
    };
    assert_eq!(first.member.as_deref(), Some("w"));
    let pick = |m: &str| Request::Pick { member: m.into() };
    let Response::Opened(Err(e)) = ask(&mut s, pick("e"), None) else {
        panic!("an empty member was opened")
    };
    assert!(e.contains("the tensor is empty (shape 0×4)"), "{e}");
    let Response::Opened(Ok(v)) = ask(&mut s, pick("v"), None) else {
        panic!("the pick after the refused one failed")
    };
    assert_eq!(v.shape, vec![4]);
    assert!(matches!(
        ask(&mut s, pick("w"), None),
        Response::Opened(Ok(_))
    ));
}

#[test]
fn a_refused_file_keeps_the_tensor_shown() {
    let mut s = Service::new();
    let open = |label: &str| Request::Open {
        label: label.into(),
        member: None,
    };
    assert!(matches!(
        ask(&mut s, open("a.npy"), Some(file(SAMPLE))),
        Response::Opened(Ok(_))
    ));
    let Response::Opened(Err(e)) = ask(&mut s, open("bad.npy"), Some(b"hello".to_vec())) else {
        panic!("text accepted")
    };
    assert!(
        e.starts_with("bad.npy: not a .npy, .npz or .safetensors file"),
        "{e}"
    );
    let Response::Opened(Err(e)) = ask(&mut s, open("empty.npy"), Some(Vec::new())) else {
        panic!("empty accepted")
    };
    assert!(e.contains("the file is empty"), "{e}");
    // The tensor opened first still answers.
    let Response::Report(Ok(r)) = ask(
        &mut s,
        Request::Analyze {
            axis: 0,
            opts: opts(),
        },
        None,
    ) else {
        panic!("the tensor was lost")
    };
    assert_eq!(r.shape, vec![1152, 1, 3, 3]);
}

#[test]
fn before_a_tensor_every_request_says_so() {
    let mut s = Service::new();
    assert!(matches!(
        ask(
            &mut s,
            Request::Analyze {
                axis: 0,
                opts: opts()
            },
            None
        ),
        Response::Report(Err(_))
    ));
    assert_eq!(
        ask(
            &mut s,
            Request::Channel {
                channel: 0,
                percentile: 99.9
            },
            None
        ),
        Response::Channel(None)
    );
    assert!(matches!(
        ask(
            &mut s,
            Request::Npz {
                scheme: "x".into(),
                source: SourceName::Sample("x".into())
            },
            None
        ),
        Response::Npz(Err(_))
    ));
    // An axis past the tensor's rank is an error, not a panic.
    ask(
        &mut s,
        Request::Open {
            label: String::new(),
            member: None,
        },
        Some(file(SAMPLE)),
    );
    let Response::Report(Err(e)) = ask(
        &mut s,
        Request::Analyze {
            axis: 9,
            opts: opts(),
        },
        None,
    ) else {
        panic!("axis 9 accepted")
    };
    assert!(e.contains("out of range"), "{e}");
}

#[test]
fn tensors_of_a_multi_tensor_file_are_picked_from_the_kept_file() {
    let mut s = Service::new();
    let bytes = file("tests/fixtures/two_members.npz");
    let Response::Opened(Ok(first)) = ask(
        &mut s,
        Request::Open {
            label: "two.npz".into(),
            member: None,
        },
        Some(bytes.clone()),
    ) else {
        panic!("npz refused")
    };
    assert_eq!(first.members.len(), 3);
    let other = first
        .members
        .iter()
        .find(|m| Some(&m.name) != first.member.as_ref() && m.problem.is_none())
        .unwrap()
        .name
        .clone();
    let Response::Opened(Ok(picked)) = ask(
        &mut s,
        Request::Pick {
            member: other.clone(),
        },
        None,
    ) else {
        panic!("pick failed")
    };
    assert_eq!(picked.member.as_deref(), Some(other.as_str()));
    let direct = formats::open(&bytes, Some(&other)).unwrap();
    assert_eq!(picked.shape, direct.loaded.tensor.shape());
    // A name that is not there is refused, and the file stays for the next pick.
    assert!(matches!(
        ask(
            &mut s,
            Request::Pick {
                member: "nope".into()
            },
            None
        ),
        Response::Opened(Err(_))
    ));
    assert!(matches!(
        ask(&mut s, Request::Pick { member: other }, None),
        Response::Opened(Ok(_))
    ));
}

fn pending(id: u64, request: Request) -> Pending<()> {
    Pending {
        id,
        request,
        bytes: None,
    }
}

#[test]
fn the_queue_keeps_the_newest_of_each_kind_and_the_most_urgent_first() {
    let mut q = Queue::default();
    let analyze = |bits| Request::Analyze {
        axis: 0,
        opts: Options {
            spec: quantlens::engine::QuantSpec {
                bits,
                ..PRESETS[0].spec
            },
            ..opts()
        },
    };
    let sweep = |bits| Request::SweepPoint {
        axis: 0,
        opts: opts(),
        bits,
    };
    assert!(q.push(pending(1, sweep(2))).is_empty());
    assert!(q.push(pending(2, sweep(3))).is_empty());
    assert!(q.push(pending(3, analyze(8))).is_empty());
    assert_eq!(q.push(pending(4, analyze(7))), vec![3]);
    assert_eq!(q.push(pending(5, analyze(6))), vec![4]);
    assert_eq!(
        q.push(pending(
            6,
            Request::Channel {
                channel: 1,
                percentile: 99.9
            }
        )),
        Vec::<u64>::new()
    );
    assert_eq!(q.push(pending(7, sweep(2))), vec![1]);
    // The analysis first, then the channel, then the sweep from the low bits up.
    let order: Vec<u64> = std::iter::from_fn(|| q.pop().map(|p| p.id)).collect();
    assert_eq!(order, vec![5, 6, 7, 2]);

    // A new tensor drops everything asked of the old one.
    q.push(pending(8, analyze(8)));
    q.push(pending(9, sweep(4)));
    let dropped = q.push(pending(
        10,
        Request::Open {
            label: String::new(),
            member: None,
        },
    ));
    assert_eq!(dropped, vec![8, 9]);
    assert_eq!(q.len(), 1);
    assert_eq!(q.pop().map(|p| p.id), Some(10));
    assert!(q.is_empty());
}

#[test]
fn garbage_messages_are_refused_with_a_message() {
    let e = decode::<Request>(&[0xff, 0xff, 0xff]).unwrap_err();
    assert!(e.starts_with("could not decode a message"), "{e}");
}

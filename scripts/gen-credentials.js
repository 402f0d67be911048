#!/usr/bin/env node
// scripts/gen-credentials.js — generate realistic EU micro-credentials as W3C
// Verifiable Credentials 2.0 JSON, for the demo and tests.
//
//   node scripts/gen-credentials.js --count 1000 --out DIR [--seed 42]
//
// Each credential carries the elements the Council Recommendation on
// micro-credentials (2022/C 243/02, Annex I) names as mandatory: learner
// identification, title, country/region of the issuer, awarding body, date of
// issuing, learning outcomes, notional workload (ECTS), level (EQF), type of
// assessment, form of participation, type of quality assurance. Deterministic
// for a given seed, so runs are comparable. No network, no dependencies.
'use strict';
const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const a = { count: 1000, out: null, seed: 42 };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--count') a.count = parseInt(argv[++i], 10);
    else if (k === '--out') a.out = argv[++i];
    else if (k === '--seed') a.seed = parseInt(argv[++i], 10);
    else if (k === '-h' || k === '--help') {
      console.log('usage: gen-credentials.js --count N --out DIR [--seed S]');
      process.exit(0);
    } else { console.error(`gen-credentials.js: unknown argument ${k}`); process.exit(2); }
  }
  if (!a.out || !(a.count > 0)) { console.error('gen-credentials.js: need --out DIR and --count N > 0'); process.exit(2); }
  return a;
}

// mulberry32: a tiny deterministic PRNG.
function rng(seed) {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6D2B79F5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const BODIES = [
  { name: 'Universidad de Salamanca', country: 'ES', id: 'did:ebsi:zusal' },
  { name: 'Politecnico di Milano', country: 'IT', id: 'did:ebsi:zpolimi' },
  { name: 'Tallinn University of Technology', country: 'EE', id: 'did:ebsi:ztaltech' },
  { name: 'Université de Lille', country: 'FR', id: 'did:ebsi:zulille' },
  { name: 'Hochschule München', country: 'DE', id: 'did:ebsi:zhm' },
];
const COURSES = [
  { title: 'Data Analysis with Python', outcomes: ['Clean and transform tabular data', 'Apply descriptive statistics', 'Communicate findings with visualisations'], ects: 5, eqf: 6 },
  { title: 'Cybersecurity Fundamentals', outcomes: ['Identify common attack vectors', 'Apply basic hardening to servers', 'Respond to a simulated incident'], ects: 4, eqf: 5 },
  { title: 'Sustainable Supply Chains', outcomes: ['Map the carbon footprint of a supply chain', 'Evaluate supplier sustainability reports'], ects: 3, eqf: 6 },
  { title: 'Machine Learning Operations', outcomes: ['Deploy a model behind an API', 'Monitor model drift in production', 'Automate retraining pipelines'], ects: 6, eqf: 7 },
  { title: 'Digital Accessibility (WCAG 2.2)', outcomes: ['Audit a web page against WCAG 2.2 AA', 'Fix keyboard and screen-reader barriers'], ects: 2, eqf: 5 },
  { title: 'Renewable Energy Systems', outcomes: ['Size a photovoltaic installation', 'Assess grid integration constraints'], ects: 5, eqf: 6 },
];
const GIVEN = ['Ana', 'Luca', 'Kadri', 'Camille', 'Jonas', 'Sofia', 'Mateo', 'Eva', 'Noah', 'Maria', 'Elias', 'Zofia'];
const FAMILY = ['García', 'Rossi', 'Tamm', 'Dubois', 'Müller', 'Nowak', 'Silva', 'Novak', 'Jensen', 'Ionescu', 'Virtanen', 'Kovač'];
const ASSESS = ['Written examination, supervised online', 'Project work with oral defence', 'Practical assignment, peer-reviewed', 'Portfolio assessment'];
const MODE = ['online', 'onsite', 'blended'];
const QA = ['Internal quality assurance of the awarding institution (ESG Part 1)', 'External accreditation by the national QA agency (EQAR-registered)'];

function main() {
  const a = parseArgs(process.argv);
  const r = rng(a.seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  fs.mkdirSync(a.out, { recursive: true });
  const base = Date.UTC(2026, 9, 1); // issued in October–November 2026
  for (let i = 0; i < a.count; i++) {
    const body = pick(BODIES), course = pick(COURSES);
    const given = pick(GIVEN), family = pick(FAMILY);
    const issued = new Date(base + Math.floor(r() * 50 * 86400) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const grade = (6 + Math.floor(r() * 40) / 10).toFixed(1);
    const vc = {
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://w3id.org/europass/v2'],
      id: `urn:uuid:${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`,
      type: ['VerifiableCredential', 'EuropeanMicroCredential'],
      issuer: { id: body.id, name: body.name, address: { countryCode: body.country } },
      validFrom: issued,
      name: `Micro-credential: ${course.title}`,
      credentialSubject: {
        id: `did:key:z6Mk${hex(r, 40)}`,
        givenName: given,
        familyName: family,
        dateOfBirth: `${1975 + Math.floor(r() * 30)}-0${1 + Math.floor(r() * 9)}-1${Math.floor(r() * 9)}`,
        achievement: {
          type: 'LearningAchievement',
          title: course.title,
          learningOutcomes: course.outcomes,
          awardingBody: { name: body.name, country: body.country },
          level: { framework: 'EQF', value: course.eqf },
          workload: { ectsCredits: course.ects, hours: course.ects * 25 },
          assessment: { type: pick(ASSESS), grade, scale: '0-10', passed: true },
          participation: pick(MODE),
          qualityAssurance: pick(QA),
          prerequisites: 'None',
          stackable: r() < 0.5,
        },
      },
    };
    const name = `credential-${String(i).padStart(5, '0')}.json`;
    fs.writeFileSync(path.join(a.out, name), JSON.stringify(vc, null, 2) + '\n');
  }
  console.log(`generated ${a.count} micro-credentials in ${a.out}`);
}

function hex(r, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
}

main();

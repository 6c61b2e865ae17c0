export default function Home() {
  return <main>Concord</main>;
}

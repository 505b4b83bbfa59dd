fn main() {
    println!("msapp-merge");
}
